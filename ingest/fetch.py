"""Fetching articles and feeds by URL: timeouts, a size cap, and no requests to private networks.

A URL whose host resolves to a private, loopback, link-local, multicast or reserved address is
refused unless ``NEWSDESK_ALLOW_PRIVATE_URLS`` is set (so a URL pasted into the API cannot reach the
machine's neighbours or a cloud metadata endpoint). Every redirect hop is checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from assistant.config import Settings
from assistant.errors import IngestError
from ingest.sources import FieldMap, RawDoc, records_from_text

__all__ = ["fetch_url", "is_url", "check_host"]

MAX_REDIRECTS = 5


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def check_host(url: str, allow_private: bool) -> None:
    """Raise IngestError unless the URL is http(s) and its host resolves only to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IngestError(url, "only http:// and https:// URLs can be ingested")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise IngestError(url, f"cannot resolve {parts.hostname}: {exc.strerror}") from exc
    if allow_private:
        return
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified):
            raise IngestError(url, f"refusing a private, loopback or link-local address ({ip}); "
                                   "set NEWSDESK_ALLOW_PRIVATE_URLS=true to allow it")


def fetch_url(url: str, settings: Settings, field_map: FieldMap | None = None) -> Iterator[RawDoc]:
    """Download one URL (page, feed, JSON or text) into raw documents."""
    import httpx

    timeout = httpx.Timeout(settings.fetch_timeout_s, connect=min(10.0, settings.fetch_timeout_s))
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False,
                      headers={"User-Agent": "newsdesk/0.1 (+https://github.com/newsdesk)"}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            check_host(current, settings.allow_private_urls)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code >= 400:
                        raise IngestError(url, f"HTTP {response.status_code}")
                    body = bytearray()
                    for part in response.iter_bytes():
                        body += part
                        if len(body) > settings.fetch_max_bytes:
                            raise IngestError(url, f"response is over the {settings.fetch_max_bytes // 10**6} MB cap")
                    content_type = response.headers.get("content-type", "").lower()
                    encoding = response.encoding or "utf-8"
            except httpx.TimeoutException as exc:
                raise IngestError(url, f"timed out after {settings.fetch_timeout_s:.0f} s") from exc
            except httpx.HTTPError as exc:
                raise IngestError(url, f"download failed: {exc}") from exc
            try:
                text = bytes(body).decode(encoding, errors="replace")
            except LookupError:
                text = bytes(body).decode("utf-8", errors="replace")
            yield from records_from_text(text, current, _kind(content_type, current, text), field_map, url=current)
            return
    raise IngestError(url, f"more than {MAX_REDIRECTS} redirects")


def _kind(content_type: str, url: str, text: str) -> str:
    head = text[:500].lower()
    if "rss" in content_type or "atom" in content_type or "<rss" in head or "<feed" in head:
        return ".rss"
    if "json" in content_type:
        return ".jsonl" if url.endswith((".jsonl", ".ndjson")) else ".json"
    if "html" in content_type or "<html" in head:
        return ".html"
    return ".txt"
