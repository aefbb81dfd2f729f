"""Smart sending in the browser: the forecast on the cost step, canary and window
states on the live page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection  # noqa: F401  (read by the skipif condition)
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.services import account_create
from accounts.windows import DAYS
from campaigns import canary, sending
from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
from messaging.models import Channel, Price
from tests.campaigns.conftest import italian_rows, make_list
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.skipif("connection.vendor != 'postgresql'")]


@pytest.fixture
def marketer(transactional_db, settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    Price.objects.get_or_create(
        channel=Channel.SMS,
        country="",
        min_volume=0,
        defaults={"price": Decimal("0.035")},
    )
    account = account_create(name="ShopItalia", credit=Decimal("500.00"))
    user = get_user_model().objects.create_user(username="marta", password="pw-12345!")
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    return account


def _priced(account, name: str, recipients: int, **settings):
    contact_list = make_list(account, italian_rows(recipients), name=name)
    campaign = campaign_create(
        account=account,
        name=name,
        text="Ciao! Saldi -30%",
        contact_list=contact_list,
        **settings,
    )
    return campaign_calculate(account=account, pk=campaign.pk)


def _image_loaded(page, testid: str) -> bool:
    return page.get_by_test_id(testid).evaluate(
        "img => img.complete && img.naturalWidth > 0"
    )


def test_the_cost_step_shows_the_forecast_and_its_chart(page, screenshot, marketer):
    campaign = _priced(
        marketer,
        "Finestra",
        50,
        send_window={"days": list(DAYS), "from": "09:00", "to": "20:00"},
        max_per_minute=10,
    )
    login(page, "marta", "pw-12345!")
    page.goto(f"/campaigns/{campaign.pk}/cost/")
    forecast = page.get_by_test_id("forecast")
    expect(forecast).to_contain_text("If confirmed now, the last message goes")
    expect(forecast).to_contain_text("set by the campaign's speed")
    expect(page.get_by_test_id("forecast-finish")).to_be_visible()
    expect(page.get_by_test_id("chart-forecast")).to_be_visible()
    assert _image_loaded(page, "chart-forecast")
    expect(page.get_by_test_id("estimated-duration")).to_contain_text("minutes")
    screenshot(page, "smart-cost-forecast")


def test_the_live_page_shows_canary_and_window_states(page, screenshot, marketer):
    # A window closed today in Rome: every message waits for it.
    today = DAYS[datetime.now(ZoneInfo("Europe/Rome")).weekday()]
    closed = [day for day in DAYS if day != today]
    waiting = _priced(
        marketer,
        "Domani",
        12,
        send_window={"days": closed, "from": "09:00", "to": "20:00"},
    )
    campaign_confirm(account=marketer, pk=waiting.pk, send_immediately=True)
    sending.campaign_start(campaign_id=waiting.pk)
    sending.campaign_send_batch(campaign_id=waiting.pk)

    held = _priced(
        marketer,
        "Canarino",
        300,
        canary={"percent": 5, "minRecipients": 20, "holdMinutes": 15},
    )
    campaign_confirm(account=marketer, pk=held.pk, send_immediately=True)
    sending.campaign_start(campaign_id=held.pk)
    while sending.campaign_send_batch(campaign_id=held.pk):
        pass
    canary.canary_check(campaign_id=held.pk, lanes_open=sending.lanes_open)

    login(page, "marta", "pw-12345!")
    page.goto(f"/campaigns/{waiting.pk}/")
    expect(page.get_by_test_id("waiting-window")).to_contain_text(
        "Waiting for the window (12)"
    )
    expect(page.get_by_test_id("send-window")).to_contain_text("09:00-20:00")
    screenshot(page, "smart-live-window")

    page.goto(f"/campaigns/{held.pk}/")
    expect(page.get_by_test_id("canary-state")).to_contain_text("Canary holding until")
    expect(page.get_by_test_id("canary-state")).to_contain_text("the rest waits")
    expect(page.get_by_test_id("count-sent")).to_have_text("20")
    screenshot(page, "smart-live-canary")
