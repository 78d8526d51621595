"""Reading time in questions: "yesterday", "last week", "in August 2024", "since Monday", "latest".

Everything is relative to a reference date (``as_of``, default today). A time expression becomes a
date window; words like "latest" become a recency preference. Undated stories are never given a
date: with a window, they are kept but ranked after the stories inside it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["TimeFrame", "read_timeframe", "strip_time_words", "days_before", "day_before"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10, "a": 1}


@dataclass(frozen=True)
class TimeFrame:
    """A date window (either end may be open) and/or a preference for recent stories."""

    since: dt.date | None = None
    until: dt.date | None = None
    recent: bool = False
    phrase: str | None = None  # the words that set it, e.g. "last week"

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None and not self.recent

    @property
    def window(self) -> bool:
        return self.since is not None or self.until is not None

    def days_outside(self, published: dt.date | None) -> int | None:
        """Days between a story's date and the window (0 inside it); None for an undated story."""
        if published is None:
            return None
        if self.since and published < self.since:
            return (self.since - published).days
        if self.until and published > self.until:
            return (published - self.until).days
        return 0


def days_before(day: dt.date, days: int) -> dt.date | None:
    """The day ``days`` before ``day``, or None when that is before the calendar's first day (0001-01-01):
    "the last 3000 years" asked today, "last week" asked on 0001-01-01. A span that reaches there is
    open at its start (every story up to its end), which answers the question; date arithmetic would
    raise OverflowError instead."""
    ordinal = day.toordinal() - days
    return dt.date.fromordinal(ordinal) if ordinal >= 1 else None


def day_before(day: dt.date, days: int) -> dt.date:
    """One day ``days`` before ``day``; a day before the calendar reads as its first (no story is dated there)."""
    return days_before(day, days) or dt.date.min


def _month_window(year: int, month: int) -> tuple[dt.date, dt.date]:
    if year < dt.MINYEAR:  # "in August 0000", "in December" asked in year 1: before the calendar
        return dt.date.min, dt.date.min
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def read_timeframe(question: str, as_of: dt.date) -> TimeFrame:
    """The time frame a question asks about, relative to ``as_of``: the first reader that finds one
    wins (relative words, then weekdays, then calendar dates), else a preference for recent stories,
    which a time still to come also gets: "will be completed in 2026" asked in 2024 says when the event
    happens, not when its stories were written (none is dated after the day asked), so it is passed over
    for any other time the question names ("…, the mayor said in 2023") and otherwise means the latest."""
    q = _without_names(question).lower()
    to_come = False
    while (frame := _first_frame(q, as_of)) is not None and frame.since is not None and frame.since > as_of:
        to_come = True
        if not frame.phrase or frame.phrase not in q:
            frame = None
            break
        q = q.replace(frame.phrase, " " * len(frame.phrase), 1)
    if frame is not None:
        return frame
    if to_come or re.search(r"\b(latest|newest|most recent|recently|recent|currently|right now|now|so far|upcoming)\b", q):
        return TimeFrame(recent=True, phrase="latest")
    return TimeFrame()


def _first_frame(q: str, as_of: dt.date) -> TimeFrame | None:
    for reader in (_relative_frame, _weekday_frame, _calendar_frame):
        frame = reader(q, as_of)
        if frame is not None:
            return frame
    return None


def _relative_frame(q: str, as_of: dt.date) -> TimeFrame | None:
    """"yesterday", "today", "the past 3 days", "this week", "last month", "this year"."""
    m = re.search(r"\byesterday\b", q)
    if m:
        day = day_before(as_of, 1)
        return TimeFrame(day, day, phrase="yesterday")
    m = re.search(r"\btoday\b|\bthis morning\b|\btonight\b", q)
    if m:
        return TimeFrame(days_before(as_of, 1), as_of, phrase=m.group(0))
    m = re.search(r"\b(?:in |during |over )?the (?:past|last) (\d+|one|two|three|four|five|six|seven|ten|a) "
                  r"(day|week|month|year)s?\b|\b(?:in the )?(?:past|last) (\d+) (day|week|month|year)s\b", q)
    if m:
        n_raw = m.group(1) or m.group(3)
        unit = m.group(2) or m.group(4)
        n = int(n_raw) if n_raw.isdigit() and len(n_raw) < 10 else _NUMBERS.get(n_raw, 10**9)  # 10**9: all time
        days = n * {"day": 1, "week": 7, "month": 31, "year": 366}[unit]
        return TimeFrame(days_before(as_of, days), as_of, phrase=m.group(0).strip())
    m = re.search(r"\b(this|last|past) (week|weekend)\b", q)
    if m:  # news quizzes: "this week" is the seven days before the question
        return TimeFrame(days_before(as_of, 7 if m.group(1) != "last" else 10), as_of, phrase=m.group(0))
    m = re.search(r"\b(this|last|past) month\b", q)
    if m:
        if m.group(1) == "last":
            before = days_before(as_of.replace(day=1), 1)
            since, until = _month_window(before.year, before.month) if before else (dt.date.min, dt.date.min)
            return TimeFrame(since, until, phrase=m.group(0))
        return TimeFrame(days_before(as_of, 31), as_of, phrase=m.group(0))
    m = re.search(r"\b(this|last|past) year\b", q)
    if m:
        if m.group(1) == "last":
            return TimeFrame(_month_window(as_of.year - 1, 1)[0], _month_window(as_of.year - 1, 12)[1],
                             phrase=m.group(0))
        return TimeFrame(dt.date(as_of.year, 1, 1), as_of, phrase=m.group(0))
    return None


def _weekday_frame(q: str, as_of: dt.date) -> TimeFrame | None:
    """"since Monday", "on Tuesday"."""
    m = re.search(r"\bsince (" + "|".join(_WEEKDAYS) + r")\b", q)
    if m:
        back = (as_of.weekday() - _WEEKDAYS[m.group(1)]) % 7 or 7
        return TimeFrame(days_before(as_of, back), as_of, phrase=m.group(0))
    m = re.search(r"\bon (" + "|".join(_WEEKDAYS) + r")\b", q)
    if m:  # the last such day, today included
        day = day_before(as_of, (as_of.weekday() - _WEEKDAYS[m.group(1)]) % 7)
        return TimeFrame(day, day, phrase=m.group(0))
    return None


def _calendar_frame(q: str, as_of: dt.date) -> TimeFrame | None:
    """"on March 3, 2024", "in August 2024", "in August", "since 2019"."""
    m = re.search(r"\b(?:on|in|during|since|from)?\s*(" + _MONTH_RE + r")\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b", q)
    if m:
        try:
            named = dt.date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
        except ValueError:
            named = None
        if named:
            if "since" in m.group(0) or "from" in m.group(0):
                return TimeFrame(named, as_of, phrase=m.group(0).strip())
            return TimeFrame(named, named, phrase=m.group(0).strip())
    m = re.search(r"\b(since |in |during )?(" + _MONTH_RE + r")\.?,? (\d{4})\b", q)
    if m:
        since, until = _month_window(int(m.group(3)), _MONTHS[m.group(2)])
        if m.group(1) == "since ":
            until = as_of
        return TimeFrame(since, until, phrase=m.group(0).strip())
    m = next((m for m in re.finditer(r"\b(since |in |during |early |late |mid-?|end of |beginning of )?("
                                     + _MONTH_RE + r")\b(?! \d)", q)
              if m.group(1) or m.group(2) not in ("may", "march")), None)  # "may" and "march" are also words
    if m:
        month = _MONTHS[m.group(2)]
        year = as_of.year if month <= as_of.month else as_of.year - 1
        since, until = _month_window(year, month)
        if m.group(1) == "since ":
            until = as_of
        return TimeFrame(since, min(until, as_of), phrase=m.group(0).strip())
    m = re.search(r"\b(since |in |during )(19\d\d|20\d\d)\b", q)
    if m:
        year = int(m.group(2))
        until = as_of if m.group(1) == "since " else dt.date(year, 12, 31)
        return TimeFrame(dt.date(year, 1, 1), until, phrase=m.group(0).strip())
    return None


_NAME_WORD = re.compile(r"[A-Z][\w’'&.-]*")
_USUALLY_LOWER = {"today", "tonight", "yesterday", "week", "weekend", "month", "year", "latest", "recent"}
_CALENDAR = set(_MONTHS) | set(_WEEKDAYS)


def _without_names(question: str) -> str:
    """The question with time words that are part of a name blanked out (same length): "USA TODAY",
    "The Tonight Show", "Theresa May", "the Today show" name no date; "in May", "on Monday" do."""
    words = list(re.finditer(r"[^\W_][\w’'&.-]*", question))
    out = list(question)
    for i, m in enumerate(words):
        word = m.group(0)
        low = word.lower().rstrip(".")
        if low not in _USUALLY_LOWER and low not in _CALENDAR:
            continue
        if _sentence_initial(words, i, question) or not word[0].isupper():
            continue
        before = words[i - 1].group(0) if i else ""
        named = (_NAME_WORD.fullmatch(before) is not None and not _sentence_initial(words, i - 1, question)
                 and before.lower() not in _CALENDAR)
        if low in _USUALLY_LOWER or named:  # "Today" mid-sentence, or "Theresa May", "USA Today"
            out[m.start():m.end()] = "_" * len(word)
    return "".join(out)


def _sentence_initial(words: list[re.Match[str]], i: int, text: str) -> bool:
    return i == 0 or bool(re.search(r"[.!?:]\s*$", text[words[i - 1].end():words[i].start()]))


_TIME_WORDS = re.compile(  # "the last 3000 years" whole: its count and unit are not what the question is about
    r"\b(?:(?:past|last) (?:\d+|" + "|".join(_NUMBERS) + r") (?:day|week|month|year)s?"
    + "|" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + "|" + "|".join(_WEEKDAYS)
    + r"|yesterday|today|tonight|week|weekend|month|year|latest|recent|recently|early|late|since|past|last"
    r"|this|(?:19|20)\d\d)\b\.?",
    re.IGNORECASE,
)


def strip_time_words(question: str) -> str:
    """The question without its time words, for matching content ("Kursk last week" -> "Kursk")."""
    masked = _without_names(question)
    kept = []
    last = 0
    for m in _TIME_WORDS.finditer(masked):
        kept.append(question[last:m.start()])
        kept.append(" ")
        last = m.end()
    kept.append(question[last:])
    return re.sub(r"\s{2,}", " ", "".join(kept)).strip()
