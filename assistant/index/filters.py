"""Filters: a date window and/or outlets that retrieval must respect, and the day numbers they compare."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.errors import InputError
from assistant.text import not_utf8

__all__ = ["Filters", "day_number"]


def day_number(day: dt.date | None) -> int:
    """A date as an int YYYYMMDD for Chroma filters; -1 for unknown."""
    return day.year * 10000 + day.month * 100 + day.day if day else -1


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to a date range and/or outlets.

    Undated stories fail a date filter unless ``include_undated`` (used for time frames read from a
    question, where an undated story may still be the one that answers: it is kept, ranked lower).
    """

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()
    include_undated: bool = False

    @classmethod
    def between(cls, since: dt.date | None, until: dt.date | None, sources: Iterable[str] = ()) -> Filters:
        """Filters a person asked for (CLI, API, page): a reversed date range is their mistake, said so."""
        if since and until and since > until:
            raise InputError(f"the start date {since} is after the end date {until}")
        outlets = tuple(sources)
        for outlet in outlets:
            if where := not_utf8(outlet):
                raise InputError(f"the outlet {outlet!r} is not UTF-8 text ({where})")
        return cls(since=since, until=until, sources=outlets)

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None and not self.sources

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        window: list[dict[str, Any]] = []
        if self.since:
            window.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            window.append({"published_day": {"$lte": day_number(self.until)}})
        if self.until and not self.since:
            window.append({"published_day": {"$gte": 0}})
        if window:
            in_window = window[0] if len(window) == 1 else {"$and": window}
            clauses.append({"$or": [in_window, {"published_day": -1}]} if self.include_undated else in_window)
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, published: dt.date | None, source: str | None) -> bool:
        if self.dated and published is None and not self.include_undated:
            return False
        if self.since and published and published < self.since:
            return False
        if self.until and published and published > self.until:
            return False
        return not self.sources or source in self.sources

    def day_mask(self, days: np.ndarray) -> np.ndarray | None:
        """Boolean mask over YYYYMMDD day numbers (-1 = undated), or None when there is no window."""
        if not self.dated:
            return None
        mask = days >= 0
        if self.since:
            mask &= days >= day_number(self.since)
        if self.until:
            mask &= days <= day_number(self.until)
        if self.include_undated:
            mask |= days < 0
        return mask
