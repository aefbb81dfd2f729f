"""WhatsApp template sync: paged from Meta, only APPROVED selectable, per route, scoped."""

from __future__ import annotations

import pytest

from messaging.models import WhatsAppTemplate
from messaging.routes import RouteChanges, route_create
from messaging.whatsapp_templates import templates_approved
from tests.fakes.whatsapp_cloud import FakeWhatsAppCloud, fixture


@pytest.fixture
def fake(httpserver, settings) -> FakeWhatsAppCloud:
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    return FakeWhatsAppCloud(httpserver)


def whatsapp_route(account, fake, **settings):
    return route_create(
        account=account,
        kind="whatsapp-cloud",
        channel="WHATSAPP",
        changes=RouteChanges(name="Meta", settings=fake.settings(**settings)),
    )


def sync_url(route) -> str:
    return f"/api/partner-gateway/v1/gateways/{route.pk}/templates/sync"


def test_sync_reads_every_page_and_only_approved_are_selectable(account, api, fake):
    route = whatsapp_route(account, fake)
    response = api.post(sync_url(route))

    assert response.status_code == 200
    assert response.json() == {"total": 5, "approved": 3, "removed": 0}
    assert fake.template_pages == 2
    listed = api.get(f"/api/partner-gateway/v1/gateways/{route.pk}/templates").json()
    assert [
        (t["templateId"], t["status"], t["selectable"]) for t in listed["templates"]
    ] == [
        ("black_friday_v2:en_US", "APPROVED", True),
        ("black_friday_v2:it", "APPROVED", True),
        ("order_update:en_US", "APPROVED", True),
        ("rejected_promo:en_US", "REJECTED", False),
        ("spring_sale_draft:en_US", "PENDING", False),
    ]
    italian = listed["templates"][1]
    assert italian["body"] == (
        "Ciao {{1}}, il tuo codice {{2}} vale il 30% fino a domenica."
    )
    assert italian["variables"] == 2
    assert [t.reference for t in templates_approved(account_id=account.pk)] == [
        "black_friday_v2:en_US",
        "black_friday_v2:it",
        "order_update:en_US",
    ]


def test_resync_upserts_and_drops_what_meta_no_longer_lists(account, api, fake):
    route = whatsapp_route(account, fake)
    WhatsAppTemplate.objects.create(
        account=account,
        route_key=route.key,
        name="retired",
        language="it",
        status="APPROVED",
        synced_at="2026-01-01T00:00:00Z",
    )
    api.post(sync_url(route))
    again = api.post(sync_url(route))

    assert again.json() == {"total": 5, "approved": 3, "removed": 0}
    names = set(
        WhatsAppTemplate.objects.filter(account=account).values_list("name", flat=True)
    )
    assert "retired" not in names
    assert WhatsAppTemplate.objects.filter(account=account).count() == 5


def test_another_accounts_route_is_not_found(account, other_api, fake):
    route = whatsapp_route(account, fake)

    assert other_api.post(sync_url(route)).status_code == 404
    listed = other_api.get(f"/api/partner-gateway/v1/gateways/{route.pk}/templates")
    assert listed.status_code == 404
    assert fake.template_pages == 0


def test_a_route_of_another_kind_has_no_templates(account, api):
    route = route_create(
        account=account,
        kind="simulator",
        channel="WHATSAPP",
        changes=RouteChanges(name="Sim", settings={}),
    )
    response = api.post(sync_url(route))

    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"kind": "Only whatsapp-cloud routes have message templates."},
    }


def test_meta_refusing_the_list_is_a_502_with_its_reason(account, api, fake):
    route = whatsapp_route(account, fake, accessToken="EAAG-expired")
    response = api.post(sync_url(route))

    assert response.status_code == 502
    reason = fixture("error_190.json")["error"]["message"]
    assert response.json() == {
        "status": "error",
        "message": f"WhatsApp Cloud refused the list (190): {reason}",
    }
    assert not WhatsAppTemplate.objects.exists()


def test_admin_lists_synced_templates_read_only(admin_client, account, api, fake):
    api.post(sync_url(whatsapp_route(account, fake)))
    response = admin_client.get("/admin/messaging/whatsapptemplate/")

    assert response.status_code == 200
    assert "black_friday_v2" in response.content.decode()
    assert admin_client.get("/admin/messaging/whatsapptemplate/add/").status_code == 403


def test_a_route_without_waba_id_is_told_to_set_it(account, api, fake):
    route = whatsapp_route(account, fake, wabaId="")
    response = api.post(sync_url(route))

    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"wabaId": "Set the WhatsApp Business account id first."},
    }
