"""Uploads from the API and the page: request bodies and files handed to :meth:`Newsdesk.ingest`.

Every uploaded file is handed over by name, not as a folder to search, so a file newsdesk cannot read
(``.zip``, ``.exe``, a file called ``..``) is listed in the report's ``failed`` with the reason, instead
of being passed over in silence. The report names each file as the client did, never by its temporary
path. An upload may add at most ``max_articles_per_request`` articles, the records in its files included.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from assistant.errors import InputError
from assistant.service import IngestReport, Newsdesk

__all__ = ["ingest_request", "ingest_files"]

MAX_SHOWN_NAME = 200  # characters of a client's file name that a report repeats


async def ingest_request(desk: Newsdesk, request: Request) -> IngestReport:
    """Ingest the articles in a JSON body or the files of a multipart upload; returns the report."""
    content_type = request.headers.get("content-type", "")
    limit = desk.settings.max_articles_per_request
    with tempfile.TemporaryDirectory(prefix="newsdesk-upload-") as tmp:
        folder = Path(tmp)
        if content_type.startswith("multipart/form-data"):
            shown = await _save_files(request, folder)
        else:
            records = await _json_records(request)
            if len(records) > limit:
                raise InputError(f"at most {limit:,} articles per request")
            body_file = folder / "articles.jsonl"
            body_file.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
            shown = {str(body_file): "articles.jsonl"}
        report = desk.ingest([Path(p) for p in shown], progress=False, max_records=limit)
    for failure in report.failed:  # the client's names, not our temp paths
        saved, sep, record = failure["source"].partition("#")
        failure["source"] = shown.get(saved, saved) + sep + record
    return report


async def _json_records(request: Request) -> list[Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(f"the body is not valid JSON: {reason}") from None
    return body if isinstance(body, list) else [body]


async def _save_files(request: Request, folder: Path) -> dict[str, str]:
    """Each uploaded file saved under a safe name of ours; returns saved path -> the client's name."""
    form = await request.form()
    files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]  # every file, not one a field name
    if not files:
        raise InputError("the upload has no files")
    shown: dict[str, str] = {}
    for n, upload in enumerate(files):
        name = re.split(r"[\\/]", upload.filename or "")[-1] or f"file {n + 1}"
        name = re.sub(r"[\x00-\x1f\x7f]", "\ufffd", name)  # a NUL or escape shown back would be one of ours
        path = folder / f"{n:04d}-{re.sub(r'[^A-Za-z0-9._-]', '_', name)[-100:]}"  # the end keeps the suffixes
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        shown[str(path)] = name if len(name) <= MAX_SHOWN_NAME else f"{name[:MAX_SHOWN_NAME]}…"
    return shown


def ingest_files(desk: Newsdesk, paths: list[Path]) -> dict[str, Any]:
    """Ingest files uploaded through the page; returns the report (a refused upload is a failed one)."""
    try:
        report = desk.ingest(list(paths), progress=False, max_records=desk.settings.max_articles_per_request)
    except InputError as exc:
        report = IngestReport(files=len(paths), failed=[{"source": "the upload", "reason": str(exc)}])
    data = report.to_dict()
    for failure in data["failed"]:
        failure["source"] = Path(failure["source"].split("#")[0]).name or failure["source"]
    return data
