"""What routes are given: the one :class:`~assistant.service.Newsdesk` the app was made with."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request

from assistant.service import Filters, Newsdesk

__all__ = ["Desk", "get_desk", "filters"]


def get_desk(request: Request) -> Newsdesk:
    desk: Newsdesk = request.app.state.newsdesk
    return desk


Desk = Annotated[Newsdesk, Depends(get_desk)]


def filters(since: dt.date | None, until: dt.date | None, sources: list[str] | None) -> Filters:
    return Filters.between(since, until, sources or ())
