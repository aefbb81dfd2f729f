"""Dashboard pages of the foundation: login, home, credit, API keys, switching."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.apikeys import apikey_create
from accounts.models import ApiKey, Membership
from accounts.services import account_create

pytestmark = pytest.mark.smoke


def test_pages_require_login(client, db):
    for url in ("/", "/account/", "/account/api-keys/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_dashboard_shows_credit(client_logged):
    response = client_logged.get("/")
    assert response.status_code == 200
    assert "1500.00" in response.content.decode()


def test_account_page_shows_ledger(client_logged):
    response = client_logged.get("/account/")
    html = response.content.decode()
    assert "Top-up" in html
    assert "+1500.00" in html


def test_api_key_is_shown_once_then_only_its_prefix(client_logged, account):
    response = client_logged.post("/account/api-keys/", {"name": "Shop backend"})
    assert response.status_code == 200
    raw = response.context["new_key"]
    assert raw in response.content.decode()
    key = ApiKey.objects.get(account=account, name="Shop backend")
    listing = client_logged.get("/account/api-keys/").content.decode()
    assert key.prefix in listing
    assert raw not in listing


@pytest.mark.parametrize("htmx", [False, True])
def test_the_page_showing_a_new_key_is_never_stored(client_logged, htmx):
    """Neither the browser's cache nor a proxy keeps the secret for Back to show."""
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_logged.post(
        "/account/api-keys/", {"name": "Shop backend"}, headers=headers
    )
    assert 'data-testid="new-key">mgf_' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_empty_key_name_is_an_inline_error(client_logged):
    response = client_logged.post(
        "/account/api-keys/", {"name": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()


def test_revoke_key(client_logged, account):
    key, _raw = apikey_create(account=account, name="old")
    response = client_logged.post(f"/account/api-keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_switch_account(client_logged, user):
    second = account_create(name="Second Brand")
    Membership.objects.create(user=user, account=second)
    client_logged.post("/account/switch/", {"account": second.pk, "next": "/"})
    assert "Second Brand" in client_logged.get("/account/").content.decode()


def test_cannot_switch_to_a_foreign_account(client_logged, other_account):
    client_logged.post("/account/switch/", {"account": other_account.pk})
    assert "Outsider" not in client_logged.get("/account/").content.decode()


def test_italian_from_browser_language(client_logged):
    response = client_logged.get("/account/", HTTP_ACCEPT_LANGUAGE="it")
    assert "Credito disponibile" in response.content.decode()


def test_check_deploy_is_clean_without_debug():
    """Production defaults pass Django's deployment checklist with DEBUG off."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith("SECURE_")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
