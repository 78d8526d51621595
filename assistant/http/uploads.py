"""Uploads from the API and the page: request bodies and files handed to :meth:`Newsdesk.ingest`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request

from assistant.errors import InputError
from assistant.http.filenames import safe_name
from assistant.service import Newsdesk

__all__ = ["ingest_request", "ingest_files"]

MAX_ARTICLES_PER_REQUEST = 1000


async def ingest_request(desk: Newsdesk, request: Request) -> dict[str, Any]:
    """Ingest the articles in a JSON body or the files of a multipart upload; returns the report."""
    content_type = request.headers.get("content-type", "")
    with tempfile.TemporaryDirectory(prefix="newsdesk-upload-") as tmp:
        folder = Path(tmp)
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            files = [v for v in form.values() if hasattr(v, "filename") and hasattr(v, "read")]
            if not files:
                raise InputError("the upload has no files")
            for n, upload in enumerate(files):
                name = safe_name(upload.filename, n)
                (folder / f"{n:04d}-{name}").write_bytes(await upload.read())
        else:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"the body is not valid JSON: {exc}") from exc
            records = body if isinstance(body, list) else [body]
            if len(records) > MAX_ARTICLES_PER_REQUEST:
                raise InputError(f"at most {MAX_ARTICLES_PER_REQUEST} articles per request")
            (folder / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        report = desk.ingest([folder], progress=False)
    data = report.to_dict()
    for failure in data["failed"]:  # don't leak temp paths
        failure["source"] = failure["source"].replace(str(folder) + "/", "")
    return data


def ingest_files(desk: Newsdesk, paths: list[Path]) -> dict[str, Any]:
    """Ingest files uploaded through the page; returns the report."""
    report = desk.ingest(list(paths), progress=False).to_dict()
    for failure in report["failed"]:
        failure["source"] = Path(failure["source"].split("#")[0]).name
    return report
