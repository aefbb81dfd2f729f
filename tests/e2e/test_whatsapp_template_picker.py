"""A marketer picks an approved WhatsApp template, maps its variables, sees it filled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.services import account_create
from campaigns.services import campaign_create
from messaging.models import Channel, Price
from tests.campaigns.conftest import make_list
from tests.campaigns.test_whatsapp_campaign import BODY_IT, synced
from tests.e2e.conftest import htmx_settled, login

pytestmark = pytest.mark.e2e


@pytest.fixture
def campaign(transactional_db):
    Price.objects.get_or_create(
        channel=Channel.WHATSAPP,
        country="",
        min_volume=0,
        defaults={"price": Decimal("0.05")},
    )
    account = account_create(name="ShopItalia", credit=Decimal("100.00"))
    user = get_user_model().objects.create_user(username="marta", password="pw-12345!")
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    contact_list = make_list(
        account,
        [
            {
                "phone": "+393330000001",
                "first_name": "Anna",
                "attributes": {"code": "A1"},
            }
        ],
    )
    synced(account, ("black_friday_v2", "it", "APPROVED", BODY_IT))
    return campaign_create(
        account=account, name="BF", channel="whatsapp", contact_list=contact_list
    )


def test_pick_a_template_and_map_its_variables(page, screenshot, campaign):
    login(page, "marta", "pw-12345!")
    page.goto(f"/campaigns/{campaign.pk}/message/")
    page.get_by_label("Approved template").select_option("black_friday_v2:it")
    htmx_settled(page)
    page.get_by_label("{{1}}").select_option("first_name")
    page.get_by_label("{{2}}").select_option("code")
    preview = page.get_by_test_id("template-preview")
    expect(preview).to_contain_text(
        "Ciao Anna, il tuo codice A1 vale il 30% fino a domenica."
    )
    screenshot(page, "whatsapp-template-picker")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(f"/campaigns/{campaign.pk}/recipients/")
    campaign.refresh_from_db()
    assert campaign.template_variables == {"1": "first_name", "2": "code"}
