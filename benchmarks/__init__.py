"""Benchmarks and evaluation: commands that print figures (JSON)."""

__all__ = ["bench", "evaluation"]
