"""A threaded local HTTP server per test, for the fake providers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture
def fake_server(settings) -> Iterator[HTTPServer]:
    """A fresh threaded server (concurrent requests, like a real provider)."""
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
