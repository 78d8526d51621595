"""What an ingest run did: the report ``newsdesk ingest --json`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.errors import IngestError, TooLargeError

__all__ = ["IngestReport"]


@dataclass
class IngestReport:
    """What an ingest run did, per outcome; ``failed`` lists each input that could not be used."""

    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    empty: int = 0
    chunks: int = 0
    embedded: int = 0  # chunk texts sent to the embedder
    reused: int = 0  # chunk texts whose vectors were reused (unchanged chunks, repeated text)
    failed: list[dict[str, str]] = field(default_factory=list)
    too_large: int = 0  # of the failed, those refused for size (an upload of nothing else is a 413)
    elapsed_s: float = 0.0

    def fail(self, error: IngestError) -> None:
        """Record an input that could not be used, and whether it was refused for its size."""
        self.failed.append({"source": error.source, "reason": error.reason})
        self.too_large += isinstance(error, TooLargeError)

    @property
    def status(self) -> str:
        if not self.failed:
            return "ok"
        done = self.added + self.updated + self.unchanged + self.duplicates + self.near_duplicates
        return "partial" if done else "failed"

    def to_dict(self) -> dict[str, Any]:
        done = self.added + self.updated
        return {
            "status": self.status,
            "files": self.files,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "near_duplicates": self.near_duplicates,
            "empty": self.empty,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "reused_vectors": self.reused,
            "failed": self.failed,
            "elapsed_s": round(self.elapsed_s, 3),
            "articles_per_s": round(done / self.elapsed_s, 2) if self.elapsed_s else None,
        }
