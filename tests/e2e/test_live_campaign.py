"""A marketer watches a campaign go out live, then pauses, resumes and stops another.

Real Celery worker processes send through the simulator; the page polls itself.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection  # noqa: F401  (read by the skipif condition)
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.services import account_create
from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
from messaging.models import Channel, Price
from tests.campaigns.conftest import italian_rows, make_list
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.skipif("connection.vendor != 'postgresql'")]


@pytest.fixture
def marketer(transactional_db):
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


def _confirmed(account, recipients: int, name: str):
    contact_list = make_list(account, italian_rows(recipients), name=name)
    campaign = campaign_create(
        account=account, name=name, text="Ciao! Saldi -30%", contact_list=contact_list
    )
    campaign_calculate(account=account, pk=campaign.pk)
    return campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)


def test_watch_a_campaign_complete_then_pause_resume_stop_another(
    page, screenshot, marketer, fleet
):
    workers = fleet(GATEWAY_RATE_LIMITS='{"simulator": 40}')
    workers.start(beat=True)
    login(page, "marta", "pw-12345!")

    campaign = _confirmed(marketer, 300, "Saldi")
    workers.send("campaigns.start", campaign.pk)
    page.goto(f"/campaigns/{campaign.pk}/")
    panel = page.get_by_test_id("delivery-panel")
    expect(panel).to_be_visible(timeout=20_000)
    screenshot(page, "campaign-live-sending")
    expect(page.get_by_test_id("live-status")).to_have_text("Completed", timeout=90_000)
    out = StringIO()
    call_command("simulator_report", campaign=campaign.pk, stdout=out)
    report = json.loads(out.getvalue())
    assert report == {"submissions": 300, "distinctRecipients": 300, "duplicates": 0}
    expect(page.get_by_test_id("count-sent")).to_have_text("300")
    delivered = int(page.get_by_test_id("count-delivered").inner_text())
    failed = int(page.get_by_test_id("count-failed").inner_text())
    assert delivered + failed == 300
    expect(page.get_by_test_id("final-cost")).to_have_text("10.50")
    screenshot(page, "campaign-live-completed")

    other = _confirmed(marketer, 2_000, "Lenta")
    workers.send("campaigns.start", other.pk)
    page.goto(f"/campaigns/{other.pk}/")
    expect(page.get_by_test_id("live-status")).to_have_text("Sending", timeout=20_000)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_test_id("live-status")).to_have_text("Paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_test_id("live-status")).to_have_text("Sending")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_test_id("live-status")).to_have_text("Completed", timeout=30_000)
    canceled = int(page.get_by_test_id("count-canceled").inner_text())
    assert canceled > 0
    sent = int(page.get_by_test_id("count-sent").inner_text())
    assert sent + canceled == 2_000
    assert re.fullmatch(r"\d+\.\d\d", page.get_by_test_id("final-cost").inner_text())
    screenshot(page, "campaign-live-stopped")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "campaign-live-stopped-mobile")
