"""The collection: ``/v1/articles`` (list, add, delete) and ``/v1/stats``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request

from assistant.errors import NotFoundError
from assistant.http.deps import Desk
from assistant.http.problems import problem
from assistant.http.routing import StoredTextRoute
from assistant.http.uploads import ingest_request

__all__ = ["router"]

router = APIRouter(route_class=StoredTextRoute)  # an article's lone surrogate becomes U+FFFD
MAX_OFFSET = 1_000_000_000  # past any collection; SQLite's and PostgreSQL's OFFSET end at 2**63 - 1


@router.get("/v1/stats")
def stats(desk: Desk) -> dict[str, Any]:
    return desk.stats()


@router.get("/v1/articles")
def list_articles(desk: Desk, limit: int = Query(50, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    return {"articles": desk.articles(limit, offset), "limit": limit, "offset": offset}


FIELDS = "title, text, url, published, source, byline"
_RECORD = re.compile(r"^articles\.jsonl#(\d+)$")  # how ingest names the n-th article of a JSON body
_IN_API_TERMS = {  # ingest's words for the command line -> the API's
    "record has no text field": f'has no "text": each article needs a non-empty "text" string (fields: {FIELDS})',
    "record is not a JSON object": f"is not a JSON object with the fields {FIELDS}",
}


def _failure(failure: dict[str, str]) -> dict[str, str]:
    """One failed input in the API's own terms: "article 2", its JSON fields, no command-line flags."""
    m = _RECORD.match(failure["source"])
    source = f"article {m.group(1)}" if m else failure["source"]
    reason = re.sub(r"\s*\(use --map [^)]*\)", "", failure["reason"])
    return {"source": source, "reason": _IN_API_TERMS.get(reason, reason)}


@router.post("/v1/articles", responses={
    413: {"description": "every file was over the size cap (counted decompressed); `detail` says which"},
    422: {"description": "no article could be ingested; `detail` says why"}})
async def add_articles(request: Request, desk: Desk) -> Any:
    """Ingest articles: a JSON object or list ({title, text, url, published, source, byline}), or a
    multipart upload of files (any format `newsdesk ingest` reads). 200 with the report when at least
    one article was ingested or was already there (``failed`` lists the rest, each file newsdesk could not
    read with the reason); 422 when none was; 413 when every file was over the size cap; 400 for more
    than the articles a request may add (files' records included: nothing is ingested then)."""
    report = await ingest_request(desk, request)
    data = report.to_dict()
    data["failed"] = [_failure(f) for f in data["failed"]]
    if report.status != "failed":
        return data
    detail = "; ".join(f"{f['source']} {f['reason']}" if f["source"].startswith("article ")
                       else f"{f['source']}: {f['reason']}" for f in data["failed"])
    if report.too_large == len(report.failed):
        return problem(413, "PayloadTooLarge", f"nothing was ingested: {detail}")
    return problem(422, "IngestError", f"nothing was ingested: {detail}")


@router.delete("/v1/articles/{article_id}")
def delete_article(article_id: str, desk: Desk) -> dict[str, Any]:
    if not desk.delete([article_id]):
        raise NotFoundError(f"no article with id {article_id!r}")
    return {"deleted": article_id}
