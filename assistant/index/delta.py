"""What changed since the main BM25 index was built: its chunks that are gone (tombstones) and the
chunks written since (a small index beside it), searched together as one index would be.

Scores are those a full rebuild would give, up to the document-length normalisation of the main
index's own chunks: every term's IDF is computed from the live counts (main - tombstoned + added
chunks), and the main index's precomputed scores (IDF x term-frequency part) are rescaled to it; added
chunks are scored with the same BM25 variant and the live average length. Only the main chunks'
length part keeps the average length of the build, which moves by the delta's share of the corpus
(kept under a few percent by compaction). tests/test_replicas.py compares the two rankings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from assistant.index.lexical import K1, B, Main, idf, lucene_idf, search, top_k
from assistant.text import terms

__all__ = ["Delta", "Row", "MaskOf"]

Row = tuple[str, str, int, str]  # (chunk id, article id, day number, indexed text)
MaskOf = Callable[[np.ndarray], "np.ndarray | None"]


class Delta:
    """A :class:`Main` index and the changes applied over it (not thread-safe: its owner locks)."""

    def __init__(self, main: Main) -> None:
        self.main = main
        self.dead = np.zeros(main.n, dtype=bool)  # tombstoned main rows
        self.dead_count = self.dead_length = 0
        self.ids: list[str] = []  # added chunks, by slot (a replaced one's slot stays, not alive)
        self.days: list[int] = []
        self.lengths: list[int] = []
        self.alive: list[bool] = []
        self.slots_of: dict[str, list[int]] = {}  # article id -> its added chunks' slots
        self.postings: dict[str, tuple[list[int], list[int]]] = {}  # term -> (slots, term frequencies)
        self.alive_count = self.alive_length = 0

    @property
    def size(self) -> int:
        """How far this is from the main index: chunks tombstoned plus chunks added."""
        return self.dead_count + len(self.ids)

    @property
    def n_docs(self) -> int:
        return self.main.n - self.dead_count + self.alive_count

    def apply(self, article_ids: Sequence[str], rows: Sequence[Row]) -> None:
        """These articles are now exactly ``rows`` (none: deleted)."""
        for article_id in article_ids:
            for row in self.main.rows_of.get(article_id, ()):
                if not self.dead[row]:
                    self.dead[row] = True
                    self.dead_count += 1
                    self.dead_length += int(self.main.lengths[row])
            for slot in self.slots_of.pop(article_id, ()):
                if self.alive[slot]:
                    self.alive[slot] = False
                    self.alive_count -= 1
                    self.alive_length -= self.lengths[slot]
        for chunk_id, article_id, day, text in rows:
            self._add(chunk_id, article_id, day, text)

    def _add(self, chunk_id: str, article_id: str, day: int, text: str) -> None:
        slot = len(self.ids)
        counts = Counter(terms(text) or [""])
        self.ids.append(chunk_id)
        self.days.append(day)
        self.lengths.append(sum(counts.values()))
        self.alive.append(True)
        self.alive_count += 1
        self.alive_length += self.lengths[-1]
        self.slots_of.setdefault(article_id, []).append(slot)
        for term, tf in counts.items():
            slots, tfs = self.postings.setdefault(term, ([], []))
            slots.append(slot)
            tfs.append(tf)

    # -- reading ------------------------------------------------------------------------------

    def rows(self) -> tuple[list[str], np.ndarray]:
        """Live chunk ids in id order, and their day numbers."""
        main = self.main
        if not self.size:
            return main.ids, main.days
        kept = np.flatnonzero(~self.dead)
        pairs = [(main.ids[i], int(main.days[i])) for i in kept]
        pairs += [(self.ids[s], self.days[s]) for s in range(len(self.ids)) if self.alive[s]]
        pairs.sort()
        return [cid for cid, _ in pairs], np.asarray([d for _, d in pairs], dtype=np.int64)

    def _added(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(slots, term frequencies) of the live added chunks holding ``term``."""
        slots, tfs = self.postings.get(term, ((), ()))
        live = [(s, tf) for s, tf in zip(slots, tfs, strict=True) if self.alive[s]]
        return np.asarray([s for s, _ in live], dtype=np.int64), np.asarray([tf for _, tf in live], dtype=np.float64)

    def _df(self, term: str) -> tuple[int, tuple[np.ndarray, np.ndarray] | None, tuple[np.ndarray, np.ndarray]]:
        """Live document frequency of ``term``, its main posting and its added one."""
        posting, added = self.main.posting(term), self._added(term)
        df = len(added[0])
        if posting is not None:
            df += len(posting[0]) - int(np.count_nonzero(self.dead[posting[0]]))
        return df, posting, added

    def search(self, query: str, k: int, mask_of: MaskOf) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first over the live chunks; ``mask_of(days)`` is a date window."""
        main = self.main
        if not self.size:  # nothing changed: the main index alone, exactly as before
            if main.index is None:
                return []
            return [(main.ids[i], s) for i, s in search(main.index, query, k, mask_of(main.days))]
        n_docs = self.n_docs
        if n_docs == 0:
            return []
        average = (main.total_length - self.dead_length + self.alive_length) / n_docs
        main_scores, added_scores = np.zeros(main.n), np.zeros(len(self.ids))
        lengths = np.asarray(self.lengths, dtype=np.float64)
        for term, times in Counter(terms(query)).items():
            df, posting, (slots, tfs) = self._df(term)
            if df == 0:
                continue
            weight = times * lucene_idf(df, n_docs)
            if posting is not None:
                rows, scores = posting
                np.add.at(main_scores, rows, scores * (weight / lucene_idf(len(rows), main.n)))
            if len(slots):
                added_scores[slots] += weight * tfs / (tfs + K1 * (1 - B + B * lengths[slots] / average))
        main_scores[self.dead] = 0.0
        both = np.concatenate([main_scores, added_scores])
        masks = [mask_of(main.days), mask_of(np.asarray(self.days, dtype=np.int64))]
        mask = None if masks[0] is None and masks[1] is None else np.concatenate(
            [m if m is not None else np.ones(n, dtype=bool) for m, n in zip(masks, (main.n, len(self.ids)), strict=True)])
        return [(main.ids[i] if i < main.n else self.ids[i - main.n], s) for i, s in top_k(both, k, mask)]

    def idf(self, term: str) -> float:
        """The extractive answerer's term weight over the live chunks (unseen terms weigh most)."""
        if self.n_docs == 0:
            return 1.0
        df = self._df(term)[0] if self.size else self._main_df(term)
        return idf(self.n_docs, max(df, 1) if df else 0.5)

    def _main_df(self, term: str) -> int:
        posting = self.main.posting(term)
        return 0 if posting is None else len(posting[0])
