"""API keys: the account endpoint answers a good key; anything else gets the same 401."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import connection

from accounts.apikeys import apikey_create, apikey_revoke
from tests.conftest import ApiClient

pytestmark = pytest.mark.smoke

UNAUTHORIZED = {
    "status": "fail",
    "data": {"apiKey": "Missing, invalid or revoked API key"},
}


def test_account_endpoint_returns_name_currency_and_credit(api):
    response = api.get("/api/partner-gateway/v1/account")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "ShopItalia"
    assert body["currency"] == "EUR"
    assert body["availableCredit"] == 1500.00


@pytest.mark.parametrize("key", [None, "", "nonsense", "mgf_deadbeef_notarealkey"])
def test_missing_or_wrong_key_is_401_in_the_seeds_form(db, key):
    response = ApiClient(key).get("/api/partner-gateway/v1/account")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_revoked_key_is_401(account):
    key, raw = apikey_create(account=account, name="old")
    assert apikey_revoke(account=account, pk=key.pk)
    response = ApiClient(raw).get("/api/partner-gateway/v1/account")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_use_is_recorded(account):
    key, raw = apikey_create(account=account, name="shop")
    ApiClient(raw).get("/api/partner-gateway/v1/account")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_key_is_not_stored_in_clear_anywhere(account, caplog):
    """No table holds the secret after creating and using a key; nor do the logs."""
    _key, raw = apikey_create(account=account, name="secret")
    ApiClient(raw).get("/api/partner-gateway/v1/account")
    secret_part = raw.split("_", 2)[2]
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            dump = json.dumps(cursor.fetchall(), default=str)
            assert secret_part not in dump, model
    assert secret_part not in caplog.text


def test_unknown_api_path_is_json_404(api, settings):
    settings.DEBUG = False
    response = api.get("/api/partner-gateway/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["status"] == "fail"


def test_short_url_family_answers_too_but_is_not_in_the_schema(api):
    assert api.get("/api/account").json()["name"] == "ShopItalia"
    paths = ApiClient(None).get("/api/openapi.json").json()["paths"]
    assert "/api/account" not in paths
