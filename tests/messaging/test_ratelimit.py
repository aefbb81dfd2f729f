"""The per-gateway limit: one token bucket in Redis or the database, shared by all.

Both backends run against the real store: Redis db of the test broker, the test
database, and a redis-server of our own for the outage.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from celery.exceptions import Ignore
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.settings import env_rates
from messaging.ratelimit import (
    RateLimiterUnavailable,
    acquire,
    gateway_rate,
    throttle_or_proceed,
)

pytestmark = pytest.mark.smoke


@pytest.fixture(params=["redis", "database"])
def backend(request, settings) -> str:
    """Point the limiter at Redis (the test broker's db) or at the database."""
    if request.param == "redis":
        if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
            pytest.skip("needs the Redis broker of `make test`")
        settings.RATE_LIMIT_REDIS_URL = settings.CELERY_BROKER_URL
    else:
        settings.RATE_LIMIT_REDIS_URL = ""
    return request.param


def _key() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.mark.usefixtures("db")
def test_grants_until_empty_then_says_how_long_to_wait(backend):
    """At 100 parts/s a fresh bucket holds 100; the next 50 wait half a second."""
    key = _key()
    assert acquire(key=key, tokens=60, rate=100) == 0.0
    assert acquire(key=key, tokens=40, rate=100) == 0.0
    wait = acquire(key=key, tokens=50, rate=100)
    assert 0.0 < wait <= 0.5
    assert acquire(key=key, tokens=50, rate=100) > 0.0  # a refusal took nothing
    time.sleep(wait)
    assert acquire(key=key, tokens=50, rate=100) == 0.0


@pytest.mark.usefixtures("db")
def test_idle_bucket_holds_one_second_only(backend):
    """After idling, a 10/s gateway sends 10 at once, not more: no burst."""
    key = _key()
    assert acquire(key=key, tokens=10, rate=10) == 0.0
    time.sleep(1.5)
    assert acquire(key=key, tokens=10, rate=10) == 0.0
    assert 0.0 < acquire(key=key, tokens=1, rate=10) <= 0.1


@pytest.mark.usefixtures("db")
def test_a_message_longer_than_the_rate_still_fits(backend):
    """Three parts at 1 part/s: the bucket holds three, then waits three seconds."""
    key = _key()
    assert acquire(key=key, tokens=3, rate=1) == 0.0
    assert 2.5 < acquire(key=key, tokens=3, rate=1) <= 3.0


@pytest.mark.django_db(transaction=True)
def test_eight_threads_share_one_rate(backend):
    """Eight senders on one 200/s key get 200/s together, no more and not much less."""
    if backend == "database" and connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot lock across threads")
    key, rate, capacity, threads = _key(), 200.0, 200.0, 8
    granted = [0] * threads
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)
    started = time.monotonic()
    deadline = started + 2.0

    def send(n: int) -> None:
        try:
            barrier.wait()
            while time.monotonic() < deadline:
                wait = acquire(key=key, tokens=1, rate=rate)
                if wait:
                    time.sleep(wait)
                else:
                    granted[n] += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started

    assert not errors
    allowed = rate * elapsed + capacity
    assert sum(granted) <= allowed
    assert sum(granted) >= 0.8 * allowed, (sum(granted), allowed)
    assert all(granted), granted  # nobody starves


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", ""])
def test_rate_zero_is_unlimited_without_io(settings, url):
    """No database access (pytest-django would refuse it) and no Redis (none there)."""
    settings.RATE_LIMIT_REDIS_URL = url
    assert [acquire(key="any", tokens=10, rate=0) for _ in range(1000)] == [0.0] * 1000
    assert acquire(key="any", tokens=1, rate=-1) == 0.0


def test_unreachable_redis_is_a_transient_error(settings):
    settings.RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(RateLimiterUnavailable, match="unreachable"):
        acquire(key="any", tokens=1, rate=1)


class RedisServer:
    """A redis-server of the test's own, on a free port, that can die and come back."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        options = {
            "port": self.port,
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "no",
        }
        argv = ["redis-server", "--daemonize", "no"]
        for name, value in options.items():
            argv += [f"--{name}", str(value)]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        ping = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                ping.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)
        server.kill()


def test_redis_outage_raises_then_recovers(settings, own_redis):
    """Killed or hung, Redis makes acquire raise at once or within the timeouts."""
    settings.RATE_LIMIT_REDIS_URL = own_redis.url
    assert acquire(key="gw", tokens=1, rate=1000) == 0.0

    own_redis.kill()
    before = time.monotonic()
    with pytest.raises(RateLimiterUnavailable):
        acquire(key="gw", tokens=1, rate=1000)
    assert time.monotonic() - before < 1.0  # refused: no waiting for timeouts

    own_redis.start()  # empty: the bucket starts full again
    assert acquire(key="gw", tokens=1, rate=1000) == 0.0

    assert own_redis.process is not None
    own_redis.process.send_signal(signal.SIGSTOP)
    before = time.monotonic()
    with pytest.raises(RateLimiterUnavailable):
        acquire(key="gw", tokens=1, rate=1000)
    assert time.monotonic() - before < 10.0  # two attempts of the 2 s timeout
    own_redis.process.send_signal(signal.SIGCONT)
    assert acquire(key="gw", tokens=1, rate=1000) == 0.0


class RecordingTask:
    """Just enough of Celery's Task API: the running request, and apply_async."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.request = SimpleNamespace(args=args, kwargs=kwargs, retries=0)
        self.sent: list[dict[str, object]] = []

    def apply_async(self, **options: object) -> None:
        self.sent.append(options)


@pytest.mark.usefixtures("db")
def test_throttled_task_requeues_itself_without_spending_a_retry(backend):
    key, task = _key(), RecordingTask(42, batch=3)
    assert throttle_or_proceed(task, key=key, tokens=1, rate=1) is None
    assert task.sent == []

    with pytest.raises(Ignore):
        throttle_or_proceed(task, key=key, tokens=1, rate=1)
    [sent] = task.sent
    assert sent["args"] == (42,)
    assert sent["kwargs"] == {"batch": 3}
    assert 0.5 < sent["countdown"] <= 1.0
    # Nothing was taken: the bucket still wants (a little less than) that long.
    assert 0.0 < acquire(key=key, tokens=1, rate=1) <= sent["countdown"]
    assert task.request.retries == 0


def test_unlimited_task_proceeds():
    task = RecordingTask()
    throttle_or_proceed(task, key="any", tokens=5, rate=0)
    assert task.sent == []


def test_gateway_rate_override_else_default(settings):
    settings.GATEWAY_RATE_LIMIT = 5
    settings.GATEWAY_RATE_LIMITS = {"twilio-main": 1}
    assert gateway_rate("twilio-main") == 1.0
    assert gateway_rate("whatsapp-cloud") == 5.0


def test_gateway_rates_from_env(monkeypatch):
    monkeypatch.setenv("RATES", '{"twilio-main": 1, "whatsapp-cloud": 80.5}')
    assert env_rates("RATES") == {"twilio-main": 1.0, "whatsapp-cloud": 80.5}
    monkeypatch.setenv("RATES", "")
    assert env_rates("RATES") == {}


@pytest.mark.parametrize("raw", ["{twilio: 1}", "[1]", '{"twilio": "fast"}'])
def test_gateway_rates_env_must_be_an_object_of_numbers(monkeypatch, raw):
    monkeypatch.setenv("RATES", raw)
    with pytest.raises(ImproperlyConfigured, match="JSON object"):
        env_rates("RATES")
