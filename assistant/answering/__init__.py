"""Answering from retrieved passages: extractive (no LLM) or an LLM chain with grounding; both return
a :class:`Draft`, and every citation is verified against the stored article."""

from assistant.answering.draft import Delta, Draft, Final, collect

__all__ = ["Draft", "Delta", "Final", "collect"]
