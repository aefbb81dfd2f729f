"""Sign-in throttling: repeated failures from one address or for one user pause it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.smoke

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-12345!"


def _fail(client: Client, url: str, username: str, times: int, **extra) -> None:
    for _ in range(times):
        client.post(url, {"username": username, "password": "nope"}, **extra)


def _sign_in(client: Client, url: str, username: str, **extra):
    return client.post(url, {"username": username, "password": PASSWORD}, **extra)


@pytest.fixture
def limit(settings) -> int:
    return settings.AXES_FAILURE_LIMIT


def test_failures_from_one_address_lock_it_out_even_with_the_right_password(
    client, user, limit
):
    _fail(client, LOGIN, "marta", limit)
    response = _sign_in(client, LOGIN, "marta")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed sign-in attempts" in html
    assert "Try again in 15 minutes" in html
    assert "_auth_user_id" not in client.session


def test_the_address_is_locked_for_every_username(client, user, limit):
    for n in range(limit):
        _fail(client, LOGIN, f"guess-{n}", 1)
    assert _sign_in(client, LOGIN, "marta").status_code == 429
    other_address = _sign_in(client, LOGIN, "marta", REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 302
    assert other_address["Location"] == "/"


def test_failures_for_one_user_from_many_addresses_lock_that_user(client, user, limit):
    for n in range(limit):
        _fail(client, LOGIN, "marta", 1, REMOTE_ADDR=f"198.51.100.{n + 1}")
    fresh = _sign_in(Client(), LOGIN, "marta", REMOTE_ADDR="203.0.113.9")
    assert fresh.status_code == 429
    get_user_model().objects.create_user(username="luca", password=PASSWORD)
    someone_else = _sign_in(Client(), LOGIN, "luca", REMOTE_ADDR="203.0.113.9")
    assert someone_else.status_code == 302


def test_admin_login_is_throttled_too(client, admin_user, limit):
    _fail(client, ADMIN_LOGIN, "admin", limit)
    response = client.post(ADMIN_LOGIN, {"username": "admin", "password": "password"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_fewer_failures_than_the_limit_still_let_the_user_in(client, user, limit):
    _fail(client, LOGIN, "marta", limit - 1)
    assert _sign_in(client, LOGIN, "marta").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, user, limit):
    _fail(client, LOGIN, "marta", limit)
    assert _sign_in(client, LOGIN, "marta").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _sign_in(client, LOGIN, "marta").status_code == 302


def test_lockout_page_speaks_italian(client, user, limit):
    _fail(client, LOGIN, "marta", limit)
    response = _sign_in(client, LOGIN, "marta", HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Troppi tentativi di accesso falliti" in html
    assert "Riprova tra 15 minuti" in html


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(
    client, user, limit, settings
):
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(forwarded_for: str) -> dict[str, str]:
        return {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": forwarded_for}

    _fail(client, LOGIN, "guess", limit, **via_proxy("198.51.100.7"))
    assert (
        _sign_in(client, LOGIN, "marta", **via_proxy("198.51.100.7")).status_code == 429
    )
    # A client cannot pick its own address: only the entry the proxy added counts.
    spoofed = via_proxy("203.0.113.1, 198.51.100.7")
    assert _sign_in(client, LOGIN, "marta", **spoofed).status_code == 429
    other = _sign_in(Client(), LOGIN, "marta", **via_proxy("203.0.113.1"))
    assert other.status_code == 302
