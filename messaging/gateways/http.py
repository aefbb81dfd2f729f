"""Outbound HTTP for adapters and webhooks: one client, no calls into our network.

A route's `baseUrl` and a webhook's `url` are typed by users. Left unchecked,
they turn the server into a proxy towards its own network (cloud metadata at
169.254.169.254, the database, Redis). Every outbound request therefore checks
that each address its host resolves to is public, unless
`MEGAFONO_ALLOW_PRIVATE_URLS` is on (tests and local fake providers).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from pydantic import ValidationInfo, field_validator

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


# NAT64's well-known prefix (RFC 6052) carries an IPv4 address in its last 32
# bits, and reaches it; the local-use prefix (RFC 8215) is not global at all.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UnsafeURL(ValueError):
    """The URL is not http(s), or its host is (or resolves to) a private address."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: IPv4-mapped, 6to4 or NAT64.

    Python calls `64:ff9b::7f00:1` and `2002:7f00:1::` global, yet both lead to
    127.0.0.1; what they embed is what must be public.
    """
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return ip.ipv4_mapped or ip.sixtofour


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL:
            return True
        ip = _embedded_ipv4(ip) or ip
    return not ip.is_global or ip.is_multicast


def url_check(url: str) -> str:
    """`url` if it may be called from here; `UnsafeURL` with the reason if not."""
    try:  # a bad port (`:99999`, `:abc`) or bracket (`http://[1:2/`) raises here
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise UnsafeURL(
            "the URL is malformed: its host or port cannot be read"
        ) from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise UnsafeURL("the URL must start with http:// or https:// and name a host")
    if settings.MEGAFONO_ALLOW_PRIVATE_URLS:
        return url
    try:
        infos = socket.getaddrinfo(host, port or 443)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"the host {host} cannot be resolved") from exc
    if any(_private(info[4][0]) for info in infos):
        raise UnsafeURL(f"the host {host} is a private, loopback or link-local address")
    return url


# Validation context of a saved route's settings, read back to build its adapter.
STORED = {"stored": True}


def settings_url(field: str, *, base: bool = True):
    """The validator of a provider URL in a route's settings model.

    Checked when a user types it; a saved route's URL (validated with context
    `STORED`) is checked on every request by `outbound_client` instead, so
    building an adapter never depends on DNS answering at that moment. A base
    URL loses its trailing slash; an endpoint URL (`base=False`) is kept as typed.
    """

    def check(cls: type, value: str, info: ValidationInfo) -> str:
        if base:
            value = value.rstrip("/")
        if not (info.context or {}).get("stored"):
            url_check(value)
        return value

    return field_validator(field)(check)


def _refuse_unsafe(request: httpx.Request) -> None:
    url_check(str(request.url))


def outbound_client(**kwargs) -> httpx.Client:
    """An httpx client that refuses private destinations, redirects included."""
    kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    kwargs.setdefault("follow_redirects", False)
    return httpx.Client(event_hooks={"request": [_refuse_unsafe]}, **kwargs)
