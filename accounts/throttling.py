"""Failure limits: the client address they count by, and wrong API keys per address.

Sign-in failures are django-axes' (rows in the database, see settings). Wrong API
keys are counted in the cache instead: they can come thousands a minute, and a
counter that expires by itself needs no cleaning. Set `CACHE_URL` to share the
counts between web processes; the default cache is per process.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
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


def _failures_key(address: str) -> str:
    return f"apikey-failures:{address}"


def _locked_until_key(address: str) -> str:
    return f"apikey-locked-until:{address}"


def apikey_lockout_remaining(*, address: str) -> int:
    """Return the whole seconds until `address` may present API keys again, or 0."""
    until = cache.get(_locked_until_key(address))
    if until is None:
        return 0
    return max(1, math.ceil(until - time.time()))


def apikey_failure_record(*, address: str) -> None:
    """Count a wrong key from `address`; reaching the limit locks the address out.

    Failures count within `API_KEY_LOCKOUT_SECONDS` of the first one, and the lock
    lasts as long: a guesser gets `API_KEY_FAILURE_LIMIT` tries per period.
    """
    period = settings.API_KEY_LOCKOUT_SECONDS
    key = _failures_key(address)
    cache.add(key, 0, timeout=period)
    try:
        failures = cache.incr(key)
    except ValueError:  # the count expired between add and incr: a new period
        cache.set(key, 1, timeout=period)
        failures = 1
    if failures >= settings.API_KEY_FAILURE_LIMIT:
        cache.set(_locked_until_key(address), time.time() + period, timeout=period)
        cache.delete(key)
