"""Schemathesis against our own `/api/openapi.json`: no generated request is a 5xx.

Every operation of the documented family gets a handful of requests built from
its schema (valid ones and, by schemathesis' negative mode, also-invalid ones),
sent in-process through the WSGI application with a real API key. Bounded in
time: four examples per operation (about a minute for the 38 operations on two
busy cores), no deadline (a shared machine is slow at times), the same
examples every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.apikeys import apikey_create
from config.api import api


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes the connection after each request; Django's test
    client stops that, and so must we, or the test's transaction goes with it."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


class _App:
    """The WSGI app, built at its first request: its middleware reads the test
    settings (plain HTTP, set by a session fixture) when it is made."""

    handler = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if self.handler is None:
            self.handler = get_wsgi_application()
        return self.handler(environ, start_response)


# The schema the app serves at /api/openapi.json, read without a request.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = _App()


@pytest.fixture
def api_key(account) -> str:
    _key, raw = apikey_create(account=account, name="fuzz")
    return raw


@pytest.mark.usefixtures("_keep_test_connection")
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_is_a_server_error(case, api_key):
    """Whatever the schema allows (and some of what it refuses) is never a 5xx."""
    response = case.call(headers={"X-Api-Key": api_key})
    case.validate_response(response, checks=[not_a_server_error])
