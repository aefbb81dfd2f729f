"""The Channels page builds a form for both rich kinds from their settings models."""

from __future__ import annotations

import pytest

from messaging.models import Route
from messaging.routes import route_spec


@pytest.mark.parametrize(
    ("kind", "fields", "secrets"),
    [
        (
            "whatsapp-cloud",
            ["baseUrl", "version", "phoneNumberId", "wabaId", "timeoutSeconds"],
            ["accessToken", "appSecret", "verifyToken"],
        ),
        (
            "google-rbm",
            ["baseUrl", "agentId", "checkCapability", "timeoutSeconds"],
            ["token", "clientToken"],
        ),
    ],
)
def test_form_offers_the_settings_and_hides_the_secrets(
    client_logged, kind, fields, secrets
):
    html = client_logged.get(f"/channels/new/{kind}/").content.decode()

    for name in fields:
        assert f'name="settings.{name}"' in html
    for name in secrets:
        assert f'type="password" name="settings.{name}"' in html


def test_a_whatsapp_route_made_on_the_page_is_usable(client_logged, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    answer = client_logged.post(
        "/channels/new/whatsapp-cloud/",
        {
            "name": "Meta",
            "channel": "WHATSAPP",
            "priority": "10",
            "rate_limit": "80",
            "enabled": "on",
            "settings.baseUrl": "http://127.0.0.1:9",
            "settings.version": "v21.0",
            "settings.phoneNumberId": "106540352242922",
            "settings.wabaId": "102290129340398",
            "settings.accessToken": "EAAG-secret-token",
            "settings.appSecret": "app-secret-1234",
            "settings.verifyToken": "verify-5678",
            "settings.timeoutSeconds": "10",
        },
    )

    assert answer.status_code == 302
    route = Route.objects.get()
    spec = route_spec(route.key)
    assert spec.settings["accessToken"] == "EAAG-secret-token"
    assert spec.settings["phoneNumberId"] == "106540352242922"
