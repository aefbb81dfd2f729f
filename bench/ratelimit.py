"""Benchmark: acquire() calls/s on each backend, beside the store's own floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/megafono_rate_bench \\
    RATE_LIMIT_REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/ratelimit.py [--seconds 3]

Migrates the database if needed. For Redis (when `RATE_LIMIT_REDIS_URL` is one) the
floor is a PING round trip on the limiter's own client; for the database it is a
`SELECT 1` on Django's connection, and beside it the backend's own transaction
(locked read, update, commit) in raw SQL. "granted" calls take a token (rate high
enough never to refuse), "refused" calls find the bucket empty. Last, eight threads
share a 200/s key for two seconds (the test's scenario) and the tokens they got are
printed against what the limit allows: `200 x elapsed + capacity`.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def per_second(
    runs: dict[str, Callable[[], object]], seconds: float
) -> dict[str, float]:
    """Return each callable's calls/s, the best of three rounds taken in turn.

    Taking them in turn spreads load from other work on the machine over all alike.
    """
    best = dict.fromkeys(runs, 0.0)
    for _ in range(3):
        for name, run in runs.items():
            calls, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds / 3:
                run()
                calls += 1
            best[name] = max(best[name], calls / elapsed)
    return best


def shared_key(threads: int = 8, rate: float = 200.0) -> tuple[int, float, int]:
    """Return (granted, allowed, calls) for `threads` senders on one key for 2 s."""
    from django.db import connection

    from messaging.ratelimit import acquire

    key = f"bench-{uuid.uuid4().hex}"
    granted, calls = [0] * threads, [0] * threads
    started = time.monotonic()

    def send(n: int) -> None:
        try:
            while time.monotonic() < started + 2.0:
                calls[n] += 1
                if wait := acquire(key=key, tokens=1, rate=rate):
                    time.sleep(wait)
                else:
                    granted[n] += 1
        finally:
            connection.close()

    workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    allowed = rate * (time.monotonic() - started) + max(rate, 1)
    return sum(granted), allowed, sum(calls)


def report(name: str, floors: dict[str, Callable[[], object]], seconds: float) -> None:
    from messaging.ratelimit import acquire

    key, empty = f"bench-{uuid.uuid4().hex}", f"bench-{uuid.uuid4().hex}"
    acquire(key=empty, tokens=1, rate=0.001)  # its only token for ~17 minutes
    rates = per_second(
        {
            **{f"floor: {floor}": run for floor, run in floors.items()},
            "acquire, granted": lambda: acquire(key=key, tokens=1, rate=1e9),
            "acquire, refused": lambda: acquire(key=empty, tokens=1, rate=0.001),
        },
        seconds,
    )
    floor = rates[f"floor: {next(iter(floors))}"]
    print(name)
    for label, rate in rates.items():
        print(f"  {label:<44} {rate:8,.0f} /s  floor/this {floor / rate:5.1f}")
    got, allowed, calls = shared_key()
    print(
        f"  8 threads on one 200/s key for 2 s: {got} granted of {allowed:.0f} "
        f"allowed ({got / allowed:.0%}), {calls} calls"
    )


def locked_update_sql(cursor: Any, vendor: str) -> Callable[[], None]:
    """The database backend's transaction in raw SQL: its cost without the ORM."""
    from django.db import transaction
    from django.utils import timezone

    lock = " FOR UPDATE" if vendor == "postgresql" else ""
    table = "messaging_ratebucket"
    key = f"bench-{uuid.uuid4().hex}"
    cursor.execute(
        f"INSERT INTO {table} (key, tokens, updated_at) VALUES (%s, 0, %s)",
        [key, timezone.now()],
    )

    def run() -> None:
        with transaction.atomic():
            cursor.execute(
                f"SELECT tokens, updated_at FROM {table} WHERE key = %s{lock}", [key]
            )
            cursor.fetchone()
            cursor.execute(
                f"UPDATE {table} SET tokens = %s, updated_at = %s WHERE key = %s",
                [1.0, timezone.now(), key],
            )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from messaging.ratelimit import REDIS_PREFIXES, _bucket_script

    call_command("migrate", verbosity=0)
    url = settings.RATE_LIMIT_REDIS_URL
    if url.startswith(REDIS_PREFIXES):
        client = _bucket_script(url).registered_client
        report(f"Redis ({url})", {"PING": client.ping}, args.seconds)
    else:
        print(f"Redis: skipped (RATE_LIMIT_REDIS_URL={url!r} is not a Redis URL)")

    settings.RATE_LIMIT_REDIS_URL = ""  # the database backend from here on
    with connection.cursor() as cursor:
        vendor = f"{connection.vendor} {connection.settings_dict['NAME']}"
        floors = {
            "SELECT 1": lambda: cursor.execute("SELECT 1"),
            "the same transaction in raw SQL": locked_update_sql(
                cursor, connection.vendor
            ),
        }
        report(f"Database ({vendor})", floors, args.seconds)


if __name__ == "__main__":
    main()
