"""Who is knocking: the client address that sign-in throttling counts failures by."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client, as far as the trusted proxies vouch for it.

    With `TRUSTED_PROXY_COUNT` = N proxies in front, each appending the address it
    saw to X-Forwarded-For, the N-th entry from the right is what the outermost one
    saw: entries left of it are whatever the client sent, so they are never trusted.
    With no proxies (the default) the header is ignored altogether.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
