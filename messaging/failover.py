"""Route failover (GOV.UK Notify's pattern): demote a route that keeps failing.

Each batch a route could not take (`GatewayUnavailable`, not throttling) is
counted; `ROUTE_FAILOVER_ERRORS` of them within `WINDOW` seconds demote the route
for `ROUTE_FAILOVER_COOLDOWN` seconds, and `messaging.routes.route_resolve` sends
the next batches through the account's next route by priority. The failed batch
itself was handed back unsent, so nothing goes out twice.

The count is a sliding window in Redis (a sorted set of failure times) when the
rate limiter uses Redis, else a fixed window kept on the route's row by one
conditional UPDATE (the quick start: SQLite, no Redis). A demotion is itself one
conditional UPDATE, so two workers tripping it at once demote once.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from datetime import timedelta
from functools import cache

import redis
from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from messaging.models import Route
from messaging.ratelimit import REDIS_PREFIXES, REDIS_TIMEOUT_SECONDS
from messaging.routes import route_pk

logger = logging.getLogger(__name__)

WINDOW = 60  # seconds
REDIS_KEY_PREFIX = "megafono:route-errors:"


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def _count_redis(url: str, key: str) -> int:
    """Failures of `key` within the window, this one included."""
    now = time.time()
    name = REDIS_KEY_PREFIX + key
    pipe = _redis(url).pipeline()
    pipe.zadd(name, {uuid.uuid4().hex: now})
    pipe.zremrangebyscore(name, "-inf", now - WINDOW)
    pipe.zcard(name)
    pipe.expire(name, WINDOW)
    return int(pipe.execute()[2])


def _count_database(pk: int) -> int:
    """The same count as a fixed window on the route's row: restart it when old."""
    now = timezone.now()
    fresh = Q(errors_since__gte=now - timedelta(seconds=WINDOW))
    Route.objects.filter(pk=pk).update(
        error_count=Case(When(fresh, then=F("error_count") + 1), default=Value(1)),
        errors_since=Case(When(fresh, then=F("errors_since")), default=Value(now)),
    )
    return (
        Route.objects.filter(pk=pk).values_list("error_count", flat=True).first() or 0
    )


def route_failure_record(key: str) -> bool:
    """Count one failed batch of route `key`; True if it demoted the route.

    The built-in simulator is never demoted (there is nothing to fail over to).
    """
    pk = route_pk(key)
    if pk is None:
        return False
    url = settings.RATE_LIMIT_REDIS_URL
    count = 0
    if url.startswith(REDIS_PREFIXES):
        try:
            count = _count_redis(url, key)
        except (redis.ConnectionError, redis.TimeoutError):
            logger.warning("failover counter Redis unreachable; counting in the DB")
            count = _count_database(pk)
    else:
        count = _count_database(pk)
    if count < settings.ROUTE_FAILOVER_ERRORS:
        return False
    return route_demote(pk=pk)


def route_demote(*, pk: int) -> bool:
    """Demote route `pk` for the cool-down unless it already is; True if this did."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.ROUTE_FAILOVER_COOLDOWN)
    won = (
        Route.objects.filter(pk=pk)
        .filter(Q(demoted_until__isnull=True) | Q(demoted_until__lte=now))
        .update(demoted_until=until, error_count=0, errors_since=None)
    )
    if won:
        logger.warning("route r%s demoted until %s after repeated errors", pk, until)
        url = settings.RATE_LIMIT_REDIS_URL
        if url.startswith(REDIS_PREFIXES):
            # Unreachable: the window empties itself within a minute anyway.
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                _redis(url).delete(f"{REDIS_KEY_PREFIX}r{pk}")
    return bool(won)


def route_restore(*, account_id: int, pk: int) -> int:
    """End a demotion early (the Channels page's "Restore"); rows changed."""
    return Route.objects.filter(account_id=account_id, pk=pk).update(
        demoted_until=None, error_count=0, errors_since=None
    )
