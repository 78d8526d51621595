"""Near-duplicate detection (syndicated copies of one story) with MinHash and LSH banding.

Exact duplicates share a normalised-text hash (see ``metadata.text_fingerprint``). Near duplicates,
the same wire story re-run with another headline, a trimmed paragraph or a local dateline, are found
here: 5-word shingles, a 128-value MinHash (numpy, universal hashing), and LSH with 16 bands of 8
rows, whose S-curve has its midpoint at Jaccard (1/16)^(1/8) ~ 0.71. A candidate counts as a copy
when its estimated Jaccard is at least ``THRESHOLD`` (measured: see README, "Near-duplicates").
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

__all__ = ["NearDuplicates", "signature", "jaccard", "THRESHOLD", "NUM_PERM"]

NUM_PERM = 128
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 5
THRESHOLD = 0.8
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20240813)
_A = _rng.integers(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)


def _shingle_hashes(text: str) -> np.ndarray:
    words = re.findall(r"\w+", text.lower())
    grams = {" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))} if words else set()
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") for g in grams),
        dtype=np.uint64, count=len(grams),
    )


def signature(text: str) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint64 values) of a text."""
    hashes = _shingle_hashes(text)
    if hashes.size == 0:
        return np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        values = (np.outer(hashes, _A) + _B) % _PRIME  # (shingles, perms); wraps mod 2^64 first, fine for hashing
    signature_values: np.ndarray = values.min(axis=0).astype(np.uint64)
    return signature_values


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts behind two signatures."""
    return float(np.mean(a == b))


class NearDuplicates:
    """An in-memory LSH index of article signatures (loaded from the catalog at ingest start)."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._bands: list[dict[bytes, set[str]]] = [defaultdict(set) for _ in range(BANDS)]
        self._sigs: dict[str, np.ndarray] = {}

    @staticmethod
    def _keys(sig: np.ndarray) -> list[bytes]:
        return [sig[i * ROWS : (i + 1) * ROWS].tobytes() for i in range(BANDS)]

    def add(self, article_id: str, sig: np.ndarray) -> None:
        self.remove(article_id)
        self._sigs[article_id] = sig
        for band, key in zip(self._bands, self._keys(sig), strict=True):
            band[key].add(article_id)

    def remove(self, article_id: str) -> None:
        sig = self._sigs.pop(article_id, None)
        if sig is not None:
            for band, key in zip(self._bands, self._keys(sig), strict=True):
                band[key].discard(article_id)

    def load(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        for article_id, sig in items:
            self.add(article_id, sig)

    def candidates(self, sig: np.ndarray) -> set[str]:
        found: set[str] = set()
        for band, key in zip(self._bands, self._keys(sig), strict=True):
            found |= band.get(key, set())
        return found

    def match(self, sig: np.ndarray, exclude: str | None = None) -> tuple[str, float] | None:
        """The most similar stored article at or above the threshold, with its estimated Jaccard."""
        best: tuple[str, float] | None = None
        for candidate in self.candidates(sig):
            if candidate == exclude:
                continue
            score = jaccard(sig, self._sigs[candidate])
            if score >= self.threshold and (best is None or score > best[1]):
                best = (candidate, score)
        return best
