"""Retrieval: dense + lexical candidates, fused by reciprocal rank, preferred by date, capped per story."""

from assistant.retrieval.hybrid import RRF_K, HybridSearch, effective_filters

__all__ = ["HybridSearch", "RRF_K", "effective_filters"]
