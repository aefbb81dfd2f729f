"""Shared fixtures: two accounts (ours and an outsider's), members, keys, clients."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation

from accounts.apikeys import apikey_create
from accounts.models import Account, Membership
from accounts.services import account_create
from tests.fleet import Fleet


@pytest.fixture
def account(db) -> Account:
    return account_create(name="ShopItalia", credit=Decimal("1500.00"))


@pytest.fixture
def other_account(db) -> Account:
    return account_create(name="Outsider Srl", credit=Decimal("50.00"))


def _member(account: Account, username: str):
    user = get_user_model().objects.create_user(username=username, password="pw-12345!")
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def user(account):
    return _member(account, "marta")


@pytest.fixture
def other_user(other_account):
    return _member(other_account, "intruder")


@pytest.fixture
def client_logged(client: Client, user) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def other_client(other_user) -> Client:
    client = Client()
    client.force_login(other_user)
    return client


class ApiClient:
    """A test client that sends JSON and the X-Api-Key header."""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key} if self.key else {}

    def request(self, method: str, path: str, body: object | None = None, **extra):
        kwargs = {"headers": self._headers(), **extra}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path: str, **extra):
        return self.request("GET", path, **extra)

    def post(self, path: str, body: object | None = None, **extra):
        return self.request("POST", path, body, **extra)

    def put(self, path: str, body: object | None = None, **extra):
        return self.request("PUT", path, body, **extra)

    def delete(self, path: str, **extra):
        return self.request("DELETE", path, **extra)


@pytest.fixture
def api(account) -> ApiClient:
    _key, raw = apikey_create(account=account, name="tests")
    return ApiClient(raw)


@pytest.fixture
def other_api(other_account) -> ApiClient:
    _key, raw = apikey_create(account=other_account, name="outsider")
    return ApiClient(raw)


@pytest.fixture(scope="session", autouse=True)
def _plain_http() -> None:
    """Tests talk plain HTTP to the test servers; production keeps HTTPS-only cookies.

    Set for the whole session, before the live server builds its middleware
    (SecurityMiddleware reads its settings once, at start).
    """
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def _default_price_list(request) -> None:
    """Put the migration's price list back for every test that uses the database.

    Transactional tests (live server, races) truncate every table when they end,
    data migrations included; serialized rollback cannot help once Playwright's
    event loop has swapped the thread's connection, so restore the rows directly.
    """
    uses_db = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if not uses_db and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("_django_db_helper")
    from messaging.models import Price

    initial = importlib.import_module("campaigns.migrations.0001_initial")
    for channel, price in initial.DEFAULT_PRICES:
        Price.objects.get_or_create(
            channel=channel,
            country="",
            min_volume=0,
            defaults={"price": Decimal(price)},
        )


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Each test starts in English: a request in Italian must not leak into the next."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Wrong-key counts live in the cache: one test's bad keys must not lock the next."""
    cache.clear()


@pytest.fixture
def fleet(tmp_path):
    """Start Celery worker processes on the test database: `fleet().start()`."""
    fleets: list[Fleet] = []

    def make(broker: str = os.environ.get("CELERY_BROKER_URL", ""), **env) -> Fleet:
        fleets.append(Fleet(tmp_path, broker, **env))
        return fleets[-1]

    yield make
    for each in fleets:
        each.stop()
    connection.close()
