"""The index: catalog (SQLite or PostgreSQL, the source of truth), vectors (Chroma), lexical (BM25), the embedder
and the tokenizer, behind one :class:`Index` facade that keeps them consistent."""

from assistant.index.facade import Index
from assistant.index.filters import Filters, day_number

__all__ = ["Index", "Filters", "day_number"]
