"""Notes an answer ends with: none of its stories is dated in the window the question asked about."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from assistant.models import Citation
from assistant.question import TimeFrame

__all__ = ["outside_window_note"]

_CALENDAR_WORD = re.compile(r"\b(?:" + "|".join(n.lower() for n in (*calendar.month_name[1:], *calendar.day_name))
                            + r")\b")


def outside_window_note(window: TimeFrame, citations: list[Citation], as_of: dt.date) -> str:
    """A question's own window is a preference (``settings.window_weight``): when none of the
    stories cited lies inside it, the answer ends by saying so (else: an empty string)."""
    if not citations or any(window.days_outside(c.published_date) == 0 for c in citations):
        return ""
    since = window.since.isoformat() if window.since else None
    until = min(window.until or as_of, as_of).isoformat()
    span = (until if since == until else f"{since} to {until}") if since else f"up to {until}"
    what = _CALENDAR_WORD.sub(lambda m: m.group(0).capitalize(), window.phrase or "in that time")
    return f"\n\n(None of these stories is dated {what}, {span}.)"
