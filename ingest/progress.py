"""Progress of long work (ingest, eval): a bar on a terminal, or a plain line now and then in a log."""

from __future__ import annotations

import sys
import time
from typing import Any, Literal, TextIO

from tqdm import tqdm

from ingest.report import IngestReport

__all__ = ["tick", "ProgressLines", "progress_bar", "duration", "PROGRESS_LINE_EVERY_S"]

PROGRESS_LINE_EVERY_S = 30.0


def tick(bar: tqdm | ProgressLines | None, report: IngestReport) -> None:
    if bar is None:
        return
    bar.update(1)
    if bar.n % 25 == 0:
        bar.set_postfix(files=report.files, chunks=report.chunks, failed=len(report.failed), refresh=False)


class ProgressLines:
    """Progress for a log, not a terminal (cron, ``> ingest.log``): a plain line every ``every_s``
    seconds and one at the end, instead of a bar redrawn with carriage returns. With an ingest
    ``report`` the line counts articles read, chunks and failures; else ``unit`` done ("eval: 120/1,488
    questions, ...")."""

    def __init__(self, total: int | None, report: IngestReport | None, every_s: float | None = None,
                 stream: TextIO | None = None, *, label: str = "ingest", unit: str = "articles") -> None:
        self.n = 0
        self.total = total
        self.report = report
        self.label, self.unit = label, unit
        self.every_s = PROGRESS_LINE_EVERY_S if every_s is None else every_s
        self.stream = stream or sys.stderr
        self.started = self.last = time.monotonic()

    def update(self, k: int = 1) -> None:
        self.n += k
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            self._line(now)

    def set_postfix(self, **_: Any) -> None:
        pass

    def close(self) -> None:
        self._line(time.monotonic(), done=True)

    def _line(self, now: float, done: bool = False) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.n / elapsed
        of = f"/{self.total:,}" if self.total else ""
        left = ""
        if not done and self.total and rate > 0 and self.n < self.total:
            left = f", about {duration((self.total - self.n) / rate)} left"
        what = f"{self.label}: {self.n:,}{of} {self.unit}"
        if self.report is not None:
            what += f" read, {self.report.chunks:,} chunks, {len(self.report.failed)} failed"
        print(f"{what}, {rate:.1f} {self.unit}/s, {duration(elapsed)} elapsed{left}", file=self.stream, flush=True)


def progress_bar(progress: bool | Literal["lines"], total: int | None, *, label: str, unit: str,
                 report: IngestReport | None = None, every_s: float | None = None) -> tqdm | ProgressLines:
    """``progress``: True a bar (a terminal), "lines" a plain line every ``every_s`` seconds (a log),
    False nothing (a disabled bar)."""
    if progress == "lines":
        return ProgressLines(total, report, every_s, label=label, unit=unit)
    return tqdm(total=total, desc=label, unit=unit.rstrip("s"), disable=not progress, dynamic_ncols=True)


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
