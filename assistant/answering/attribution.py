"""Attribution: who says what an answer quotes, in which outlet, and when.

Each quoted sentence is introduced by its story ("OUTLET (DATE), “HEADLINE”:") or by its speaker
("SPEAKER, as reported by OUTLET (DATE):"); a refusal that names an older story uses the same words.
"""

from __future__ import annotations

from assistant.models import Passage

__all__ = ["attribution", "UNATTRIBUTED"]

UNATTRIBUTED = "an unattributed story"  # a story whose outlet is not known
_NO_BRACKETS = str.maketrans("[]", "()")


def attribution(p: Passage, speaker: str | None) -> str:
    """Who says what follows: "SPEAKER, as reported by OUTLET (DATE):", or the story itself, "OUTLET (DATE),
    “HEADLINE”:" (its headline says which story it is, and is often the answer in brief)."""
    when = p.published_iso or "date unknown"
    if speaker:
        return f"{speaker}, as reported by {p.source or UNATTRIBUTED} ({when}):"
    outlet = p.source or UNATTRIBUTED.capitalize()
    if p.title:
        title = " ".join(p.title.split()).translate(_NO_BRACKETS)  # "[2]" in it would read as a citation
        return f"{outlet} ({when}), “{title}”:"
    return f"{outlet} ({when}):"
