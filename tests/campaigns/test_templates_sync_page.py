"""The "Sync templates" button: Meta's approved templates become pickable at once."""

from __future__ import annotations

import pytest

from messaging.models import WhatsAppTemplate
from messaging.routes import RouteChanges, route_create
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud


@pytest.fixture
def fake(httpserver, settings) -> FakeWhatsAppCloud:
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    return FakeWhatsAppCloud(httpserver)


def route(account, fake, **settings):
    return route_create(
        account=account,
        kind="whatsapp-cloud",
        channel="WHATSAPP",
        changes=RouteChanges(name="Meta", settings=fake.settings(**settings)),
    )


def test_sync_button_syncs_and_goes_back(client_logged, account, fake):
    whatsapp = route(account, fake)
    response = client_logged.post(
        f"/campaigns/channels/{whatsapp.pk}/templates/sync/",
        {"next": "/campaigns/"},
        follow=True,
    )

    assert response.redirect_chain == [("/campaigns/", 302)]
    assert (
        "5 templates synced from WhatsApp, 3 of them approved and ready to pick."
        in response.content.decode()
    )
    assert WhatsAppTemplate.objects.filter(account=account).count() == 5


def test_a_foreign_next_is_ignored_and_meta_refusals_are_flashed(
    client_logged, account, fake
):
    whatsapp = route(account, fake, accessToken="EAAG-expired")
    response = client_logged.post(
        f"/campaigns/channels/{whatsapp.pk}/templates/sync/",
        {"next": "https://evil.example.com/"},
        follow=True,
    )

    assert response.redirect_chain == [("/campaigns/", 302)]
    assert "WhatsApp Cloud refused the list (190)" in response.content.decode()
