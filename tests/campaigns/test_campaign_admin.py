"""Django admin: filters, edits through the service, read-only once confirmed, cancel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.models import LedgerEntry
from campaigns.services import campaign_create
from tests.campaigns.builders import configured, scheduled


@pytest.fixture
def staff_client(client, db):
    admin = get_user_model().objects.create_superuser(
        username="staff", password="pw-12345!", email="staff@example.com"
    )
    client.force_login(admin)
    return client


def test_changelist_filters_by_status_and_channel(staff_client, account, contact_list):
    configured(account, contact_list, name="Saldi")
    campaign_create(account=account, name="Rich", channel="rcs")
    html = staff_client.get("/admin/campaigns/campaign/").content.decode()
    assert "Saldi" in html
    assert "Rich" in html
    assert "By status" in html
    assert "By channel" in html
    draft = staff_client.get("/admin/campaigns/campaign/?status__exact=DRAFT")
    assert "Rich" in draft.content.decode()
    assert "Saldi" not in draft.content.decode()


def test_editable_campaign_changes_through_the_service(staff_client, account):
    campaign = campaign_create(account=account, name="Promo")
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    form = {"name": "Promo", "text": "Ciao", "sender": "ShopItalia"}
    response = staff_client.post(url, {**form, **_inline_management()})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.text, campaign.sender) == ("Ciao", "ShopItalia")


def test_service_refusal_is_a_field_error(staff_client, account):
    campaign = campaign_create(account=account, name="Promo")
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    response = staff_client.post(
        url, {"name": "Promo", "sender": "Bad sender!!", **_inline_management()}
    )
    assert response.status_code == 200
    assert "Sender must be up to 11 letters or digits" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.sender == ""


def test_confirmed_campaign_is_read_only(staff_client, account, contact_list):
    campaign = scheduled(account, contact_list)
    html = staff_client.get(
        f"/admin/campaigns/campaign/{campaign.pk}/change/"
    ).content.decode()
    assert 'name="text"' not in html
    assert 'name="name"' not in html
    assert "Primavera" in html


def test_cancel_action_releases_credit(staff_client, account, contact_list):
    campaign = scheduled(account, contact_list)
    response = staff_client.post(
        "/admin/campaigns/campaign/",
        {"action": "cancel_campaigns", "_selected_action": [campaign.pk]},
        follow=True,
    )
    campaign.refresh_from_db()
    account.refresh_from_db()
    assert campaign.status == "CANCELED"
    assert account.balance == Decimal("1500.00")
    assert LedgerEntry.objects.filter(kind="release").count() == 1
    assert "1 campaign canceled." in response.content.decode()

    again = staff_client.post(
        "/admin/campaigns/campaign/",
        {"action": "cancel_campaigns", "_selected_action": [campaign.pk]},
        follow=True,
    )
    assert "Primavera: A canceled campaign cannot be canceled." in (
        again.content.decode()
    )


def test_price_list_is_still_there(staff_client):
    html = staff_client.get("/admin/messaging/price/").content.decode()
    assert "0.035" in html


def _inline_management() -> dict[str, str]:
    prefix = "events"
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
