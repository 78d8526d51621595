"""The lexical index of one process, kept in step with the catalog without rebuilding it for each change.

It is the main BM25 index (saved in the data dir, of some generation) plus a :class:`Delta`: when the
catalog's generation moves, the articles its change log names (:mod:`assistant.index.changelog`) are
read again and applied to the delta, which costs what those articles cost, not what the corpus does.
When the delta grows past :data:`COMPACT_SHARE` of the corpus (or the log cannot say what changed), the
main index is rebuilt from the catalog: in the caller's thread by default, as a single process always
did, or in a background thread that swaps it in when done (:meth:`LexicalIndex.follow_in_background`,
what a serving replica uses, so no request waits for a rebuild).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.index.changelog import Changes
from assistant.index.delta import Delta, MaskOf, Row
from assistant.index.lexical import LexicalRows, Main, build, load, save

__all__ = ["LexicalIndex", "LexicalSource", "COMPACT_SHARE", "COMPACT_MIN"]

COMPACT_SHARE = 0.02  # rebuild when the delta holds this share of the corpus ...
COMPACT_MIN = 2000  # ... and at least this many chunks (~150 articles)
log = logging.getLogger(__name__)


class LexicalSource(Protocol):
    """What the lexical index reads (the catalog)."""

    def generation(self) -> int: ...

    def changes_since(self, generation: int) -> Changes | None: ...

    def lexical_texts(self, rows: LexicalRows) -> Iterator[str]: ...

    def lexical_rows(self, article_ids: Sequence[str]) -> list[Row]: ...


class LexicalIndex:
    """BM25 over the ready chunks of the catalog, as of :attr:`generation`."""

    def __init__(self, directory: Path, source: LexicalSource) -> None:
        self.directory = directory
        self.source = source
        self._lock = threading.RLock()
        self._delta: Delta | None = None
        self._background = False
        self._compacting: threading.Thread | None = None
        self._stale = False  # too much changed: wait for the background rebuild instead of catching up
        self.generation = -1
        self.version = 0  # moves whenever what is indexed changes (a generation may be re-read)

    def follow_in_background(self) -> None:
        """Rebuild in a background thread from now on, serving the old index and delta meanwhile."""
        self._background = True

    @property
    def delta(self) -> Delta:
        assert self._delta is not None, "call at() first"
        return self._delta

    def at(self, generation: int) -> LexicalIndex:
        """This index brought to ``generation`` (or later): loaded, caught up from the change log, or
        rebuilt (see the module docstring)."""
        with self._lock:
            if self._delta is None:
                self._use(load(self.directory) or self._rebuild())
            if self.generation != generation:
                self._catch_up()
            return self

    def _use(self, main: Main) -> None:
        self._delta, self._stale = Delta(main), False
        self.generation = main.generation
        self.version += 1

    def _limit(self) -> int:
        return max(COMPACT_MIN, int(self.delta.main.n * COMPACT_SHARE))

    def _catch_up(self) -> None:
        if self._stale:
            return
        changes = self.source.changes_since(self.generation)
        too_many = changes is None or len(changes.article_ids) * 4 > self._limit()  # ~13 chunks an article
        if changes is not None and not too_many:
            self.delta.apply(changes.article_ids, self.source.lexical_rows(changes.article_ids))
            self.generation = changes.generation
            self.version += 1
            too_many = self.delta.size > self._limit()
        if not too_many:
            return
        if not self._background:
            self._use(self._rebuild())
            if self.generation != self.source.generation():
                self._catch_up()
            return
        self._stale = changes is None or self.generation != changes.generation
        if self._compacting is None or not self._compacting.is_alive():
            self._compacting = threading.Thread(target=self._compact, name="newsdesk-lexical-compact", daemon=True)
            self._compacting.start()

    def _rebuild(self) -> Main:
        """A new main index of every ready chunk, saved. Its generation is read first, so a change made
        while it is built is at worst applied again by the next catch-up (which is harmless)."""
        main = build(self.source.generation(), self.source.lexical_texts)
        save(self.directory, main)
        return main

    def _compact(self) -> None:
        try:
            main = self._rebuild()
        except Exception:  # the next catch-up tries again; a replica keeps serving what it has
            log.exception("rebuilding the lexical index failed")
            with self._lock:
                self._stale = False
            return
        with self._lock:
            self._use(main)  # the next at() catches up from the new index's generation

    # -- reading (call at() first) --------------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        """Live chunk ids, in id order."""
        with self._lock:
            return self.delta.rows()[0]

    def rows(self) -> tuple[int, int, list[str], np.ndarray]:
        """(version, generation, live chunk ids in id order, their day numbers), consistently."""
        with self._lock:
            ids, days = self.delta.rows()
            return self.version, self.generation, ids, days

    def search(self, query: str, k: int, mask_of: MaskOf) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; ``mask_of(days)`` restricts it to a date window."""
        with self._lock:
            return self.delta.search(query, k, mask_of)

    def idf(self, term: str) -> float:
        with self._lock:
            return self.delta.idf(term)
