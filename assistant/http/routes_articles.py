"""The collection: ``/v1/articles`` (list, add, delete) and ``/v1/stats``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from assistant.errors import NotFoundError
from assistant.http.deps import Desk
from assistant.http.uploads import ingest_request

__all__ = ["router"]

router = APIRouter()


@router.get("/v1/stats")
def stats(desk: Desk) -> dict[str, Any]:
    return desk.stats()


@router.get("/v1/articles")
def list_articles(desk: Desk, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    return {"articles": desk.articles(limit, offset), "limit": limit, "offset": offset}


@router.post("/v1/articles")
async def add_articles(request: Request, desk: Desk) -> dict[str, Any]:
    """Ingest articles: a JSON object or list ({title, text, url, published, source, byline}), or a
    multipart upload of files (any format `newsdesk ingest` reads)."""
    return await ingest_request(desk, request)


@router.delete("/v1/articles/{article_id}")
def delete_article(article_id: str, desk: Desk) -> dict[str, Any]:
    if not desk.delete([article_id]):
        raise NotFoundError(f"no article with id {article_id!r}")
    return {"deleted": article_id}
