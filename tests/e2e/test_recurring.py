"""The dentist's weekly reminder set up in the browser: picker, preview, pause, end."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.credit import credit_adjust
from accounts.models import Membership
from accounts.services import account_create
from campaigns.models import RecurringCampaign
from campaigns.recurring import recurring_run_due
from tests.campaigns.conftest import italian_rows, make_list
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def dentist(transactional_db):
    account = account_create(name="Studio Dentistico Bianchi", credit=Decimal("20.00"))
    user = get_user_model().objects.create_user(
        username="bianchi", password="pw-12345!"
    )
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    make_list(account, italian_rows(12), name="Pazienti prenotati")
    return account


def test_set_up_pause_and_end_a_weekly_reminder(page, screenshot, dentist):
    login(page, "bianchi", "pw-12345!")
    page.goto("/campaigns/")
    page.get_by_role("link", name="Recurring", exact=True).click()
    heading = page.get_by_role("heading", name="Recurring campaigns", exact=True)
    expect(heading).to_be_visible()

    page.get_by_label("Name").fill("Promemoria settimanale")
    page.get_by_label("Contact list").select_option(label="Pazienti prenotati")
    page.get_by_label("Sender").fill("StudioBian")
    page.get_by_label("Message").fill(
        "Ciao {{first_name}}, ti ricordiamo gli appuntamenti di questa settimana."
    )
    preview = page.get_by_test_id("schedule-preview")
    expect(preview).to_contain_text("Monday")
    page.get_by_label("Thursday").check()
    page.get_by_label("Time", exact=True).fill("08:30")
    expect(preview).to_contain_text("Thursday")
    expect(preview).to_contain_text("08:30")
    screenshot(page, "recurring-new")

    page.get_by_role("button", name="Create recurring campaign").click()
    card = page.get_by_test_id("recurring")
    expect(card).to_contain_text("Every Monday and Thursday at 08:30")
    expect(card.get_by_test_id("next-run")).to_contain_text("08:30")
    expect(page.locator(".flash-success")).to_contain_text("is scheduled")
    screenshot(page, "recurring-list")

    # Monday comes and the credit does not cover the run: skipped, and it says why.
    credit_adjust(account=dentist, amount=Decimal("-19.90"))
    recurring = RecurringCampaign.objects.get()
    recurring_run_due(now=recurring.next_run_at + timedelta(seconds=5))
    page.reload()
    reason = "Insufficient credit. Required: 0.42, available: 0.10"
    expect(card.get_by_test_id("last-error")).to_contain_text(reason)
    expect(card.get_by_role("row").nth(1)).to_contain_text("Canceled")
    screenshot(page, "recurring-skipped")
    page.goto("/")
    expect(page.get_by_test_id("recurring-card")).to_contain_text(reason)
    screenshot(page, "dashboard-recurring")
    page.go_back()

    card.get_by_role("button", name="Pause").click()
    expect(card.get_by_test_id("next-run")).to_have_text("paused")
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="End").click()
    expect(card).to_contain_text("Ended")
    assert RecurringCampaign.objects.get().status == "ENDED"
