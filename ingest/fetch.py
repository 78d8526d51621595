"""Fetching articles and feeds by URL: timeouts, a size cap, and no requests to private networks.

A URL whose host resolves to any address that is not globally routable (private, loopback, link-local,
shared 100.64.0.0/10, reserved, multicast, and the IPv6 forms that carry such an IPv4 address: mapped
``::ffff:``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``, Teredo) is refused unless
``NEWSDESK_ALLOW_PRIVATE_URLS`` is set, so a URL pasted into the API cannot reach the machine's
neighbours or a cloud metadata endpoint. The connection goes to the address that was checked, not to a
second lookup of the name (which DNS rebinding could answer differently), and every redirect hop is
checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from assistant.config import Settings
from assistant.errors import IngestError
from ingest.sources import FieldMap, RawDoc, records_from_text

if TYPE_CHECKING:
    import httpx

__all__ = ["fetch_url", "is_url", "check_host", "is_public"]

MAX_REDIRECTS = 5
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IANA's special-purpose blocks that are not globally reachable, listed here as well as asked of
# ``is_global``: Python's table differs between releases (3.11.7 calls 192.0.0.192 global).
_NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/127", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7",
    "fe80::/10", "ff00::/8"))


def is_url(value: str) -> bool:
    """Whether ``value`` is an http(s) URL (the scheme in any case: ``HTTP://`` is one too)."""
    return value[:8].lower().startswith(("http://", "https://"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, NAT64, Teredo server and client)."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found += list(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(ip: Address) -> bool:
    """Whether an address is globally routable, and so is any IPv4 address it carries."""
    if not ip.is_global or ip.is_multicast or any(ip in net for net in _NOT_GLOBAL):
        return False
    return isinstance(ip, ipaddress.IPv4Address) or all(is_public(a) for a in _embedded_ipv4(ip))


def check_host(url: str, allow_private: bool) -> list[Address]:
    """The addresses to connect to for ``url``: its host resolved once, each address checked.

    Raises IngestError unless the URL is http(s) and (without ``allow_private``) every address the host
    resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise IngestError(url, "only http:// and https:// URLs can be ingested")
    try:
        port = parts.port
        infos = socket.getaddrinfo(parts.hostname, port or _default_port(parts.scheme), proto=socket.IPPROTO_TCP)
    except ValueError as exc:  # a port out of range or not a number
        raise IngestError(url, f"not a valid URL: {exc}") from exc
    except socket.gaierror as exc:
        raise IngestError(url, f"cannot resolve {parts.hostname}: {exc.strerror}") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    if not allow_private:
        for ip in addresses:
            if not is_public(ip):
                raise IngestError(url, f"refusing a private, loopback or link-local address ({ip}); "
                                       "set NEWSDESK_ALLOW_PRIVATE_URLS=true to allow it")
    return addresses


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def fetch_url(url: str, settings: Settings, field_map: FieldMap | None = None) -> Iterator[RawDoc]:
    """Download one URL (page, feed, JSON or text) into raw documents."""
    import httpx

    timeout = httpx.Timeout(settings.fetch_timeout_s, connect=min(10.0, settings.fetch_timeout_s))
    parts = urlsplit(url)
    current = parts._replace(scheme=parts.scheme.lower()).geturl()  # HTTP://... is http://...
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                      headers={"User-Agent": "newsdesk/0.1 (+https://github.com/newsdesk)"}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            addresses = check_host(current, settings.allow_private_urls)
            try:
                got = _get(client, current, addresses, settings.fetch_max_bytes, url)
            except httpx.TimeoutException as exc:
                raise IngestError(url, f"timed out after {settings.fetch_timeout_s:.0f} s") from exc
            except httpx.HTTPError as exc:
                raise IngestError(url, f"download failed: {exc}") from exc
            if isinstance(got, str):  # a redirect: check the next hop again
                current = urljoin(current, got)
                continue
            body, content_type, encoding = got
            try:
                text = body.decode(encoding, errors="replace")
            except LookupError:
                text = body.decode("utf-8", errors="replace")
            yield from records_from_text(text, current, _kind(content_type, current, text), field_map, url=current)
            return
    raise IngestError(url, f"more than {MAX_REDIRECTS} redirects")


def _get(client: httpx.Client, url: str, addresses: list[Address], cap: int, asked: str
         ) -> str | tuple[bytes, str, str]:
    """GET ``url`` from the first of ``addresses`` that accepts a connection (the Host header and TLS
    server name stay the URL's): the redirect's location, or (body, content type, encoding)."""
    import httpx

    target = httpx.URL(url)
    host_header = target.netloc.decode("ascii")
    for n, ip in enumerate(addresses):
        request = client.build_request("GET", target.copy_with(host=str(ip)), headers={"Host": host_header},
                                       extensions={"sni_hostname": target.host})
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError:
            if n == len(addresses) - 1:
                raise
            continue
        try:
            return _read(response, cap, asked)
        finally:
            response.close()
    raise IngestError(asked, "the host has no address")


def _read(response: httpx.Response, cap: int, asked: str) -> str | tuple[bytes, str, str]:
    if response.is_redirect:
        return str(response.headers.get("location", ""))
    if response.status_code >= 400:
        raise IngestError(asked, f"HTTP {response.status_code}")
    body = bytearray()
    for part in response.iter_bytes():
        body += part
        if len(body) > cap:
            raise IngestError(asked, f"response is over the {cap // 10**6} MB cap")
    return bytes(body), response.headers.get("content-type", "").lower(), response.encoding or "utf-8"


def _kind(content_type: str, url: str, text: str) -> str:
    head = text[:500].lower()
    if "rss" in content_type or "atom" in content_type or "<rss" in head or "<feed" in head:
        return ".rss"
    if "json" in content_type:
        return ".jsonl" if url.lower().endswith((".jsonl", ".ndjson")) else ".json"
    if "html" in content_type or "<html" in head:
        return ".html"
    return ".txt"
