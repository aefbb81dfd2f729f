"""Wrong API keys from one address: after a few, that address is refused for a while."""

from __future__ import annotations

import time

import pytest

from tests.conftest import ApiClient

pytestmark = pytest.mark.smoke

ACCOUNT = "/api/partner-gateway/v1/account"


def _wrong_keys(times: int, **extra) -> None:
    for n in range(times):
        response = ApiClient(f"mgf_guess{n}_x").get(ACCOUNT, **extra)
        assert response.status_code == 401


def _too_many(seconds: int) -> dict:
    message = f"Too many failed attempts; try again in {seconds} seconds"
    return {"status": "fail", "data": {"apiKey": message}}


def test_after_the_limit_even_a_good_key_from_that_address_gets_429(api, settings):
    _wrong_keys(settings.API_KEY_FAILURE_LIMIT)
    response = api.get(ACCOUNT)
    assert response.status_code == 429
    assert response.json() == _too_many(settings.API_KEY_LOCKOUT_SECONDS)
    assert response["Retry-After"] == str(settings.API_KEY_LOCKOUT_SECONDS)


def test_other_addresses_keep_working(api, settings):
    _wrong_keys(settings.API_KEY_FAILURE_LIMIT, REMOTE_ADDR="198.51.100.7")
    assert api.get(ACCOUNT).status_code == 200
    assert api.get(ACCOUNT, REMOTE_ADDR="198.51.100.7").status_code == 429


def test_one_failure_short_of_the_limit_is_still_a_plain_401(api, settings):
    _wrong_keys(settings.API_KEY_FAILURE_LIMIT - 1)
    assert api.get(ACCOUNT).status_code == 200


def test_requests_without_a_key_are_not_guesses(api, settings):
    for _ in range(settings.API_KEY_FAILURE_LIMIT + 1):
        assert ApiClient(None).get(ACCOUNT).status_code == 401
    assert api.get(ACCOUNT).status_code == 200


def test_good_keys_do_not_use_up_the_allowance(api, settings):
    for _ in range(settings.API_KEY_FAILURE_LIMIT + 1):
        assert api.get(ACCOUNT).status_code == 200
    _wrong_keys(settings.API_KEY_FAILURE_LIMIT - 1)
    assert api.get(ACCOUNT).status_code == 200


def test_the_address_is_let_in_again_when_the_time_is_up(api, settings):
    # Long enough that ten requests on a busy CI machine fit inside the lockout.
    settings.API_KEY_LOCKOUT_SECONDS = 5
    _wrong_keys(settings.API_KEY_FAILURE_LIMIT)
    response = api.get(ACCOUNT)
    assert response.status_code == 429
    assert response.json()["data"]["apiKey"].startswith("Too many failed attempts")
    time.sleep(5.1)
    assert api.get(ACCOUNT).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    _wrong_keys(
        settings.API_KEY_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy
    )
    assert (
        api.get(ACCOUNT, HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy).status_code == 200
    )
    locked = api.get(ACCOUNT, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert locked.status_code == 429
