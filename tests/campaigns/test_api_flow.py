"""Both product documents' campaign flows over the API, bodies sent verbatim."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns.models import Campaign
from contacts.models import OptOut
from tests.campaigns.conftest import italian_rows, make_list

V1 = "/api/partner-gateway/v1/campaigns"
# A month a few months ahead ("2027-04"): schedules must lie within a year.
SOON = (timezone.now() + timedelta(days=120)).strftime("%Y-%m")
BF_TEXT = (
    "Black Friday! Solo per te: -30% su tutto con il codice BF2026. Valido fino al "
    "30/11. Scopri di più: https://shop.example.it/bf"
)


def test_uc006_flow(api, account, contact_list):
    """Step by step as UC-006 prints it: draft, configure, calculate, price, confirm."""
    created = api.post(
        V1,
        {
            "name": "Black Friday 2026",
            "channel": "SMS",
            "description": "Promozione Black Friday - sconto 30% su tutto il catalogo",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "DRAFT"
    assert body["name"] == "Black Friday 2026"
    assert body["channel"] == "SMS"
    assert "createdAt" in body
    cid = body["id"]

    configured = api.put(
        f"{V1}/{cid}",
        {
            "sender": "ShopItalia",
            "text": BF_TEXT,
            "contactListId": contact_list.pk,
            "unicode": False,
        },
    )
    assert configured.status_code == 200
    body = configured.json()
    assert body["status"] == "CONFIGURED"
    assert body["contactListId"] == contact_list.pk
    assert body["text"] == BF_TEXT
    assert "updatedAt" in body

    calculated = api.post(f"{V1}/{cid}/calculateGoal")
    assert calculated.status_code == 200, calculated.json()
    body = calculated.json()
    assert body["status"] == "COST_CALCULATED"
    assert body["totalRecipients"] == 12
    assert body["validRecipients"] == 10
    # UC-006: invalid = total - valid = malformed + duplicates + opted out.
    assert body["invalidRecipients"] == 2
    assert body["malformedRecipients"] == 1
    assert body["duplicateRecipients"] == 1
    assert body["blacklistedRecipients"] == 0
    assert body["estimatedParts"] == 10  # the seed text fits one GSM-7 part
    assert body["encoding"] == "GSM-7"
    assert body["partsPerMessage"] == 1
    assert body["estimatedCost"] == 0.35
    assert body["currency"] == "EUR"
    assert "calculatedAt" in body

    price = api.get(f"{V1}/{cid}/price")
    assert price.status_code == 200
    body = price.json()
    assert body["totalRecipients"] == 10
    assert body["pricePerMessage"] == 0.035
    assert body["totalPrice"] == 0.35
    assert body["availableCredit"] == 1500.00
    assert body["sufficient"] is True
    assert body["breakdown"]["sms"] == {"count": 10, "cost": 0.35}

    confirmed = api.put(f"{V1}/{cid}/confirm", {"sendImmediately": True})
    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["status"] == "CONFIRMED"
    assert body["sendImmediately"] is True
    assert "confirmedAt" in body
    account.refresh_from_db()
    assert account.balance == Decimal("1499.65")
    assert account.reserved == Decimal("0.35")
    reservation = LedgerEntry.objects.get(kind="reservation")
    assert reservation.reference == f"campaign:{cid}"


def test_guide_flow_one_shot_create_then_schedule(api, account, contact_list):
    """The guide's one-shot POST (lower-case channel, `message`, `contactList`)."""
    created = api.post(
        "/api/campaigns",
        {
            "name": "Spring Promotion 2025",
            "channel": "sms",
            "message": "Spring sale is here! 30% off everything. Shop now: https://example.com/spring",
            "contactList": str(contact_list.pk),
            "sendImmediately": False,
            "scheduledTime": f"{SOON}-15T09:00:00Z",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "CONFIGURED"
    cid = body["id"]

    goal = api.post(f"/api/campaigns/{cid}/calculateGoal", {"goalContactCount": 5})
    body = goal.json()
    assert body["totalContacts"] == 5
    assert body["estimatedCost"] == 0.18  # 5 x 0.035 = 0.175, half up
    assert body["costPerMessage"] == 0.035
    assert body["estimatedDuration"]

    price = api.get(f"/api/campaigns/{cid}/price").json()
    assert price["campaignId"] == cid
    assert price["totalContacts"] == 5
    assert price["estimatedCost"] == 0.18
    assert set(price["breakdown"]) == {"sms", "rcs", "whatsapp"}

    confirmed = api.put(f"/api/campaigns/{cid}/confirm")
    body = confirmed.json()
    assert body["status"] == "SCHEDULED"
    assert body["scheduledTime"] == f"{SOON}-15T09:00:00Z"
    assert body["message"] == "Campaign confirmed. Sending starts at scheduled time."


def test_scheduled_date_with_numeric_offset(api, contact_list):
    cid = api.post(
        V1, {"name": "Bill", "text": "Pay", "contactListId": contact_list.pk}
    ).json()["id"]
    api.post(f"{V1}/{cid}/calculateGoal")
    body = api.put(
        f"{V1}/{cid}/confirm", {"scheduledDate": f"{SOON}-29T08:00:00.000+0000"}
    ).json()
    assert body["status"] == "SCHEDULED"
    assert body["scheduledDate"] == f"{SOON}-29T08:00:00Z"
    assert body["warnings"] == []


def test_calculate_without_list_is_400_with_the_seed_body(api):
    cid = api.post(V1, {"name": "No list", "channel": "SMS"}).json()["id"]
    response = api.post(f"{V1}/{cid}/calculateGoal")
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"contactListId": "Contact list is required before calculating cost"},
    }


def test_price_before_calculation_is_409(api, contact_list):
    cid = api.post(
        V1, {"name": "x", "text": "hi", "contactListId": contact_list.pk}
    ).json()["id"]
    response = api.get(f"{V1}/{cid}/price")
    assert response.status_code == 409
    assert response.json()["status"] == "fail"
    assert "calculateGoal" in response.json()["data"]["status"]


def test_insufficient_credit_is_402_with_the_seed_body(api, account):
    big = make_list(account, italian_rows(3500))
    cid = api.post(V1, {"name": "Big", "text": "Ciao", "contactListId": big.pk}).json()[
        "id"
    ]
    api.post(f"{V1}/{cid}/calculateGoal")  # 3500 x 0.035 = 122.50
    account.balance = Decimal("120.00")
    account.save(update_fields=["balance"])
    response = api.put(f"{V1}/{cid}/confirm", {"sendImmediately": True})
    assert response.status_code == 402
    assert response.json() == {
        "status": "fail",
        "data": {"credit": "Insufficient credit. Required: 122.50, available: 120.00"},
    }
    assert Campaign.objects.get(pk=cid).status == "COST_CALCULATED"
    assert not LedgerEntry.objects.filter(kind="reservation").exists()


def test_editing_a_confirmed_campaign_is_409(api, contact_list):
    cid = api.post(
        V1, {"name": "x", "text": "hi", "contactListId": contact_list.pk}
    ).json()["id"]
    api.put(f"{V1}/{cid}/confirm", {"sendImmediately": True})  # calculates first
    response = api.put(f"{V1}/{cid}", {"name": "changed"})
    assert response.status_code == 409
    assert response.json() == {
        "status": "fail",
        "data": {"status": "A confirmed campaign cannot be modified."},
    }


def test_editing_a_priced_campaign_makes_the_quote_stale(api, contact_list):
    cid = api.post(
        V1, {"name": "x", "text": "hi", "contactListId": contact_list.pk}
    ).json()["id"]
    api.post(f"{V1}/{cid}/calculateGoal")
    body = api.put(f"{V1}/{cid}", {"text": "hello again"}).json()
    assert body["status"] == "CONFIGURED"
    assert body["estimatedCost"] is None
    assert api.get(f"{V1}/{cid}/price").status_code == 409


def test_cancel_releases_the_reservation(api, account, contact_list):
    cid = api.post(
        V1, {"name": "x", "text": "hi", "contactListId": contact_list.pk}
    ).json()["id"]
    api.put(f"{V1}/{cid}/confirm", {"scheduledDate": f"{SOON}-01T10:00:00Z"})
    account.refresh_from_db()
    assert account.balance == Decimal("1499.65")
    response = api.delete(f"{V1}/{cid}")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELED"
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (Decimal("1500.00"), Decimal("0"))
    assert LedgerEntry.objects.get(kind="release").amount == Decimal("0.35")
    again = api.delete(f"{V1}/{cid}")
    assert again.status_code == 409


def test_simulation_reserves_nothing(api, account, contact_list):
    cid = api.post(
        V1,
        {
            "name": "Test",
            "text": "hi",
            "contactListId": contact_list.pk,
            "simulation": True,
        },
    ).json()["id"]
    body = api.put(f"{V1}/{cid}/confirm", {"sendImmediately": True}).json()
    assert body["status"] == "CONFIRMED"
    assert body["simulation"] is True
    account.refresh_from_db()
    assert account.balance == Decimal("1500.00")
    assert not LedgerEntry.objects.filter(kind="reservation").exists()


def test_opted_out_and_blacklisted_numbers_are_excluded(api, account, contact_list):
    from contacts.models import BlacklistEntry

    OptOut.objects.create(account=account, phone="+393330000001")
    BlacklistEntry.objects.create(phone="+393330000002")
    cid = api.post(
        V1, {"name": "x", "text": "hi", "contactListId": contact_list.pk}
    ).json()["id"]
    body = api.post(f"{V1}/{cid}/calculateGoal").json()
    assert body["blacklistedRecipients"] == 2
    assert body["validRecipients"] == 8
    assert body["totalContacts"] == 8


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "channel": "fax"}, "channel"),
        ({"name": "x", "sender": "ThisSenderIsTooLong"}, "sender"),
        ({"name": "x", "text": "x" * 1531}, "text"),
        ({"name": "x", "contactListId": 999999}, "contactListId"),
        ({"name": "x", "goalContactCount": 0}, "goalContactCount"),
        ({"name": 5}, "name"),
    ],
)
def test_bad_settings_are_400_naming_the_field(api, payload, field):
    response = api.post(V1, payload)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "fail"
    assert field in body["data"]


def test_errors_use_the_field_name_the_client_sent(api):
    response = api.post("/api/campaigns", {"name": "x", "contactList": "list_999999"})
    assert response.json()["data"] == {"contactList": "Contact list not found."}


def test_simulation_in_the_confirm_body(api, account):
    big = make_list(account, italian_rows(3500))
    cid = api.post(V1, {"name": "Big", "text": "Ciao", "contactListId": big.pk}).json()[
        "id"
    ]
    api.post(f"{V1}/{cid}/calculateGoal")
    account.balance = Decimal("1.00")
    account.save(update_fields=["balance"])
    body = api.put(f"{V1}/{cid}/confirm", {"sendImmediately": True, "simulation": True})
    assert body.status_code == 200
    assert body.json()["simulation"] is True
    assert body.json()["reservedAmount"] == 0
    account.refresh_from_db()
    assert account.balance == Decimal("1.00")


def test_excluded_recipients_complete_the_seed_identity(api, contact_list):
    cid = api.post(
        V1, {"name": "x", "text": "hi", "contactListId": contact_list.pk}
    ).json()["id"]
    body = api.post(f"{V1}/{cid}/calculateGoal").json()
    assert body["excludedRecipients"] == 2
    assert (
        body["totalRecipients"] == body["validRecipients"] + body["excludedRecipients"]
    )


def test_unknown_status_filter_is_400(api):
    response = api.get(f"{V1}?status=bogus")
    assert response.status_code == 400
    assert "status" in response.json()["data"]


def test_stats_path_is_not_read_as_an_id(api, settings):
    settings.DEBUG = False
    response = api.get(f"{V1}/stats?campaignId=1")
    assert response.status_code == 404
    assert response.json()["status"] == "fail"


def test_another_accounts_list_cannot_be_used(api, other_account):
    foreign = make_list(other_account, italian_rows(3))
    response = api.post(V1, {"name": "x", "text": "hi", "contactListId": foreign.pk})
    assert response.status_code == 400
    assert response.json()["data"] == {"contactListId": "Contact list not found."}


def test_list_filters_by_status(api, contact_list):
    api.post(V1, {"name": "draft one"})
    api.post(V1, {"name": "ready", "text": "hi", "contactListId": contact_list.pk})
    names = [c["name"] for c in api.get(f"{V1}?status=configured").json()]
    assert names == ["ready"]


def test_every_guide_body_is_accepted_verbatim(api, account):
    """The guide's example bodies, with its list names standing for real lists."""
    for name in ("list_12345", "active_customers", "all_users", "engaged_users"):
        make_list(account, italian_rows(2), name=name)
    bodies = [
        {
            "name": "Spring Promotion 2025",
            "channel": "sms",
            "message": "Spring sale is here! 30% off everything. Shop now: https://example.com/spring",
            "contactList": "list_12345",
            "sendImmediately": False,
            "scheduledTime": "2025-04-15T09:00:00Z",
        },
        {
            "name": "Spring Sale",
            "channel": "sms",
            "message": "40% off everything! Code: SPRING2025",
            "contactList": "active_customers",
            "scheduledTime": "2025-04-15T10:00:00Z",
        },
        {
            "name": "Important Update - SMS Phase",
            "channel": "sms",
            "message": "Account update required. Tap here: https://example.com/update",
            "contactList": "all_users",
            "sendImmediately": True,
        },
        {
            "name": "Important Update - WhatsApp Phase",
            "channel": "whatsapp",
            "message": "template_id_approved_by_meta",
            "contactList": "engaged_users",
            "scheduledTime": "2025-04-16T14:00:00Z",
        },
    ]
    for body in bodies:
        response = api.post("/api/campaigns", body)
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "CONFIGURED"
    whatsapp = response.json()
    assert whatsapp["channel"] == "WHATSAPP"
    assert whatsapp["templateId"] == "template_id_approved_by_meta"
    update = api.put(
        f"/api/campaigns/{whatsapp['id']}",
        {
            "name": "Spring Promotion 2025 - Updated",
            "message": "New offer text",
            "scheduledTime": "2025-04-16T10:00:00Z",
        },
    )
    assert update.status_code == 200
    assert update.json()["name"] == "Spring Promotion 2025 - Updated"
    assert (
        api.post(
            f"/api/campaigns/{whatsapp['id']}/calculateGoal", {"goalContactCount": 5000}
        ).status_code
        == 200
    )
    # The stored 2025 time is in the past: confirmation asks for another.
    refused = api.put(f"/api/campaigns/{whatsapp['id']}/confirm")
    assert refused.status_code == 400
    assert refused.json()["data"] == {
        "scheduledTime": "The scheduled time must be in the future."
    }
