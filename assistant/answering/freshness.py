"""Being right about now: a question about the present is answered from the present.

A question with no time words ("Which airline cancelled flights?"), or one asking for the latest, is
about the days before it was asked, when the collection holds stories from those days. An answer
whose first source is older than that is stale: measured on RealTime QA 2023, such answers were right
about one time in ten, against four in ten for answers from the last 30 days. So a stale answer is
tried again on the recent stories alone, and when those don't answer it, the question is refused
plainly, naming the older story that came closest (the reader can still open it).
"""

from __future__ import annotations

import datetime as dt

from assistant.answering.attribution import UNATTRIBUTED, headline
from assistant.answering.draft import Draft
from assistant.question import TimeFrame

__all__ = ["is_stale", "not_recent"]


def is_stale(draft: Draft, present: TimeFrame) -> bool:
    """Is the answer's first source dated before the present window? (Undated sources are not:
    nothing says they are old.)"""
    if draft.refused or not draft.citations or present.since is None:
        return False
    first = draft.citations[0].published_date
    return first is not None and first < present.since


def not_recent(stale: Draft, present: TimeFrame, as_of: dt.date) -> Draft:
    """The refusal for a question about now that only older stories answer."""
    assert present.since is not None
    days = (as_of - present.since).days
    text = f"None of the stories from the {days} days before {as_of.isoformat()} answer this."
    if stale.citations:
        c = stale.citations[0]
        outlet = c.source or UNATTRIBUTED
        title = headline(c.title, c.source, c.url)
        named = f", “{title}”" if title else ""
        text += f" The closest match is older: {outlet} ({c.published}){named}."
    return Draft.refusal(text)
