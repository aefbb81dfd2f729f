"""Many requests for one batch, a few at a time, stopping at the route's first failure.

Providers without a batch API (Twilio) or with a small one (a generic JSON
carrier taking 100 at a time) need several requests per batch of 500. Sent one
after the other, each round trip adds up (500 x 100 ms = 50 s); sent all at
once, they trip the provider's concurrency limits. `submit_each` keeps at most
`concurrency` in flight over the caller's one client, and once a request says
the route is down or throttled, no new request starts. The answers already in
travel with the raised error (`GatewayUnavailable.results`), so those messages
are recorded and only the untried ones are handed back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
from django.utils import timezone

from messaging.gateways.base import GatewayThrottled, GatewayUnavailable, SubmitResult

T = TypeVar("T")


def submit_each(
    items: Sequence[T],
    send: Callable[[T], list[SubmitResult]],
    *,
    concurrency: int,
    name: str,
) -> list[SubmitResult]:
    """`send` each item (a message or a chunk), results in the items' order.

    Raises `GatewayThrottled` (the longest wait asked) if any request was
    throttled, else `GatewayUnavailable` if any failed; either carries the
    results of the requests that were answered.
    """
    stop = threading.Event()
    answers: list[list[SubmitResult] | GatewayUnavailable | None] = [None] * len(items)

    def one(index: int) -> None:
        if stop.is_set():
            return  # the route failed meanwhile: hand this one back untried
        try:
            answers[index] = send(items[index])
        except GatewayUnavailable as exc:
            answers[index] = exc
            stop.set()
        except Exception as exc:  # a bug must not lose the answers already in
            answers[index] = GatewayUnavailable(f"{name} adapter failed: {exc!r}")
            stop.set()

    if concurrency <= 1 or len(items) <= 1:
        for index in range(len(items)):
            one(index)
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
            for future in [pool.submit(one, i) for i in range(len(items))]:
                future.result()
    done = [r for a in answers if isinstance(a, list) for r in a]
    failures = [a for a in answers if isinstance(a, GatewayUnavailable)]
    if not failures:
        return done
    throttles = [f for f in failures if isinstance(f, GatewayThrottled)]
    if throttles:
        raise GatewayThrottled(
            max(t.retry_after for t in throttles), str(throttles[0]), results=done
        )
    raise GatewayUnavailable(str(failures[0]), results=done)


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    """Seconds from `Retry-After` (seconds or an HTTP date), else `default`."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - timezone.now()).total_seconds(), 0)
    except (TypeError, ValueError):
        return default
