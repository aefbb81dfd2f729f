"""Per-gateway send limits that hold across every worker on every machine.

Celery's own `rate_limit` is per worker process, so N processes send N times the
limit. Here each gateway has one token bucket, one token per SMS part, in a store all
workers share: Redis when `settings.RATE_LIMIT_REDIS_URL` is a Redis URL (by default
the broker's), else the database (the quick start: SQLite and the file-system
broker). A bucket holds at most one second of tokens, so an idle gateway gets no
burst above its rate (GC Notify's limiter, `app/rate_limiter.py`, has the same shape).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis
from celery.exceptions import Ignore
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

from messaging.models import RateBucket

if TYPE_CHECKING:
    from celery import Task
    from django.db.backends.utils import CursorWrapper

REDIS_PREFIXES = ("redis://", "rediss://")
REDIS_KEY_PREFIX = "megafono:ratelimit:"
# Long enough for a healthy round trip, short enough that a sending task fails over
# to its retry policy instead of hanging on a dead Redis.
REDIS_TIMEOUT_SECONDS = 2.0

# KEYS[1] the bucket, ARGV rate (tokens/s), tokens wanted, capacity.
# Returns the seconds to wait as a string ("0" when granted): Redis would truncate a
# Lua number to an integer. The clock is Redis's own (TIME), so machines never have
# to agree on one; effects replication (the default since Redis 5) makes TIME safe.
# A refusal writes nothing: the stored state still describes the bucket exactly.
BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
-- Never move the clock back (a failover to a replica whose clock lags).
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate)
  at = now
end
if tokens < wanted then
  return string.format('%.6f', (wanted - tokens) / rate)
end
-- Strings, not numbers: Redis would format them with 14 digits, too few for `at`.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens - wanted),
  'at', string.format('%.6f', at))
-- Once idle long enough to refill, the bucket is full: a missing key says the same.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return '0'
"""


class RateLimiterUnavailable(Exception):
    """The bucket's store (Redis or the database) did not answer: a transient error."""


def gateway_rate(gateway_key: str) -> float:
    """Return the limit for a gateway (SMS parts/s; 0 means unlimited).

    `GATEWAY_RATE_LIMITS` overrides `GATEWAY_RATE_LIMIT` for the gateways it names.
    """
    return float(
        settings.GATEWAY_RATE_LIMITS.get(gateway_key, settings.GATEWAY_RATE_LIMIT)
    )


def acquire(*, key: str, tokens: int, rate: float) -> float:
    """Take `tokens` (SMS parts) from bucket `key` refilled at `rate` tokens/s.

    Returns 0.0 when granted, else the seconds to wait before trying again (nothing
    taken). `rate <= 0` means unlimited: always 0.0, no I/O. A bucket holds at most
    one second of capacity (`max(rate, tokens)`, so one long message still fits), so
    there is no burst after idle. Raises `RateLimiterUnavailable` when the backing
    store cannot be reached (after a timeout the tokens may have been taken: the
    error can only slow sending down). On the database backend call it outside a
    transaction: the bucket's row stays locked until the outermost one commits.
    """
    if rate <= 0:
        return 0.0
    if tokens < 1:
        raise ValueError(f"tokens must be at least 1, not {tokens}")
    capacity = max(float(rate), float(tokens))
    url = settings.RATE_LIMIT_REDIS_URL
    if url.startswith(REDIS_PREFIXES):
        return _acquire_redis(url, key=key, tokens=tokens, rate=rate, capacity=capacity)
    return _acquire_database(key=key, tokens=tokens, rate=rate, capacity=capacity)


def throttle_or_proceed(task: Task, *, key: str, tokens: int, rate: float) -> None:
    """Return if the tokens are granted; else re-queue the task later and stop it.

    The task is sent again with its own arguments and a countdown of the wait, then
    `Ignore` ends this run without a result or a retry: throttling is the normal
    pace of sending, not a failure, so it never spends `max_retries` (GC Notify's
    pattern). `RateLimiterUnavailable` propagates for the task's retry policy.
    """
    wait = acquire(key=key, tokens=tokens, rate=rate)
    if not wait:
        return
    task.apply_async(args=task.request.args, kwargs=task.request.kwargs, countdown=wait)
    raise Ignore()


_scripts: dict[str, Script] = {}
_scripts_lock = threading.Lock()


def _bucket_script(url: str) -> Script:
    """Return the bucket script bound to one cached client (a connection pool) per URL.

    redis-py's pool reconnects after a fork (Celery's prefork workers) and after a
    Redis restart; the script is re-sent with EVAL when Redis no longer knows it.
    """
    script = _scripts.get(url)
    if script is None:
        with _scripts_lock:
            script = _scripts.get(url)
            if script is None:
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    # One immediate retry replaces a pooled connection that a Redis
                    # restart closed; a Redis that is down fails at once.
                    retry=Retry(NoBackoff(), 1),
                    health_check_interval=30,
                )
                script = _scripts[url] = client.register_script(BUCKET_LUA)
    return script


def _acquire_redis(
    url: str, *, key: str, tokens: int, rate: float, capacity: float
) -> float:
    script = _bucket_script(url)
    try:
        wait = script(keys=[REDIS_KEY_PREFIX + key], args=[rate, tokens, capacity])
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise RateLimiterUnavailable(f"rate limiter Redis unreachable: {exc}") from exc
    return float(wait)


def _acquire_database(*, key: str, tokens: int, rate: float, capacity: float) -> float:
    """The same bucket as the Lua script, as one locked read-modify-write of a row.

    PostgreSQL locks the row (`FOR UPDATE`); SQLite has no row locks, but the
    project's SQLite transactions are IMMEDIATE (config/settings.py), so each one
    holds the write lock from its start and two of them never interleave. The clock
    is each machine's own; the stored time only moves forward, so a machine whose
    clock runs ahead delays refills a little but never adds tokens.

    Plain SQL, because the row stays locked until the commit and building these two
    statements through the ORM took longer than running them: on a 2-core machine
    at load 10, eight threads sharing one key made 1,000-1,700 calls in 2 s through
    the ORM and 2,700-3,200 this way; through the ORM the threads test sometimes got
    under half of the tokens allowed, so the limiter itself was the bottleneck.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            bucket = _bucket_locked(cursor, key)
            now = timezone.now()
            if bucket is None:
                # First use: a full bucket. A racing first use makes this insert a
                # no-op, and the second select locks the winner's row.
                RateBucket.objects.bulk_create(
                    [RateBucket(key=key, tokens=capacity, updated_at=now)],
                    ignore_conflicts=True,
                )
                bucket = _bucket_locked(cursor, key)
                assert bucket is not None
            available, at = bucket
            if now > at:
                available = min(capacity, available + (now - at).total_seconds() * rate)
            if available < tokens:
                return (tokens - available) / rate
            cursor.execute(
                _bucket_sql(
                    "UPDATE {table} SET {tokens} = %s, {at} = %s WHERE {key} = %s"
                ),
                [
                    available - tokens,
                    connection.ops.adapt_datetimefield_value(max(now, at)),
                    key,
                ],
            )
    except OperationalError as exc:
        raise RateLimiterUnavailable(
            f"rate limiter database unreachable: {exc}"
        ) from exc
    return 0.0


def _bucket_locked(cursor: CursorWrapper, key: str) -> tuple[float, datetime] | None:
    """Return a bucket's (tokens, updated_at), locked until the transaction ends."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(
        _bucket_sql("SELECT {tokens}, {at} FROM {table} WHERE {key} = %s") + lock, [key]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    tokens, at = row
    if timezone.is_naive(at):  # SQLite keeps naive UTC, as the ORM wrote it
        at = at.replace(tzinfo=UTC)
    return tokens, at


def _bucket_sql(template: str) -> str:
    quote = connection.ops.quote_name
    return template.format(
        table=quote(RateBucket._meta.db_table),
        key=quote("key"),
        tokens=quote("tokens"),
        at=quote("updated_at"),
    )
