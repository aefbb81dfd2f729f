"""A threaded local HTTP server per test, for the fake providers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(autouse=True)
def _local_urls(settings) -> None:
    """Fakes listen on loopback, and example hosts need no DNS: URLs are checked
    for their form only (a test that wants the address check turns it back on)."""
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def fake_server() -> Iterator[HTTPServer]:
    """A fresh threaded server (concurrent requests, like a real provider)."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
