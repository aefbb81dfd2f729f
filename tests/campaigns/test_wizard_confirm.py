"""Wizard step 5: credit, this campaign, after sending; confirm now or scheduled."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry
from tests.campaigns.builders import configured, priced

ROME = ZoneInfo("Europe/Rome")


def _local(days: int, hour: int, minute: int = 0) -> datetime:
    """A time `days` from now at hour:minute in the account's zone (Europe/Rome)."""
    day = timezone.now().astimezone(ROME).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME)


@pytest.mark.smoke
def test_price_against_credit(client_logged, account, contact_list):
    campaign = priced(account, contact_list)  # 10 x 0.035 = 0.35
    html = client_logged.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()
    assert "Your credit" in html
    assert 'data-testid="credit-available">1500.00 <small>EUR' in html
    assert 'data-testid="credit-price">0.35 <small>EUR' in html
    assert 'data-testid="credit-after">1499.65 <small>EUR' in html
    assert "Confirm campaign" in html
    assert "Not enough credit" not in html


def test_short_credit_disables_confirm_with_the_reason(
    client_logged, account, contact_list
):
    account.balance = Decimal("0.10")
    account.save()
    campaign = priced(account, contact_list)
    html = client_logged.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()
    assert "Not enough credit: you have 0.10 EUR and this campaign costs 0.35 EUR" in (
        html
    )
    assert "(0.25 EUR missing)" in html
    assert 'disabled aria-describedby="confirm-reason"' in html

    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/", {"when": "now"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Insufficient credit. Required: 0.35, available: 0.10" in (
        response.content.decode()
    )
    campaign.refresh_from_db()
    assert campaign.status == "COST_CALCULATED"


def test_confirm_now_reserves_the_price(client_logged, account, contact_list, user):
    campaign = priced(account, contact_list)
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/", {"when": "now"}, follow=True
    )
    html = response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "CONFIRMED"
    assert "Campaign confirmed. Sending starts now." in html
    assert "1499.65 EUR</a>" in html  # the credit pill
    reservation = LedgerEntry.objects.get(account=account, kind="reservation")
    assert reservation.amount == Decimal("0.35")
    assert reservation.actor == user


def test_schedule_is_read_in_the_account_time_zone(
    client_logged, account, contact_list
):
    campaign = priced(account, contact_list)
    when = _local(2, 9, 30)
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/",
        {"when": "later", "scheduled_at": when.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    campaign.refresh_from_db()
    assert campaign.status == "SCHEDULED"
    assert campaign.scheduled_at == when
    assert "Campaign scheduled for" in response.content.decode()


def test_scheduling_in_the_past_is_an_inline_error(
    client_logged, account, contact_list
):
    campaign = priced(account, contact_list)
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/",
        {"when": "later", "scheduled_at": "2020-01-01T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "The scheduled time must be in the future." in response.content.decode()


def test_later_without_a_time(client_logged, account, contact_list):
    campaign = priced(account, contact_list)
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/", {"when": "later"}
    )
    assert response.status_code == 422
    assert "Choose when to send." in response.content.decode()


def test_maintenance_window_is_warned_live_and_after(
    client_logged, account, contact_list
):
    campaign = priced(account, contact_list)
    at_three = _local(3, 3, 0).strftime("%Y-%m-%dT%H:%M")
    note = client_logged.get(
        f"/campaigns/{campaign.pk}/confirm/check/", {"scheduled_at": at_three}
    ).content.decode()
    assert note.lstrip().startswith('<div id="schedule-note"')
    assert "Carriers often run maintenance between 02:00 and 04:00" in note

    at_ten = _local(3, 10, 0).strftime("%Y-%m-%dT%H:%M")
    note = client_logged.get(
        f"/campaigns/{campaign.pk}/confirm/check/", {"scheduled_at": at_ten}
    ).content.decode()
    assert "maintenance" not in note
    assert "10:00" in note

    past = client_logged.get(
        f"/campaigns/{campaign.pk}/confirm/check/",
        {"scheduled_at": "2020-01-01T10:00"},
    ).content.decode()
    assert "That time has passed" in past

    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/",
        {"when": "later", "scheduled_at": at_three},
        follow=True,
    )
    assert "Carriers often run maintenance" in response.content.decode()


def test_simulation_costs_nothing(client_logged, account, contact_list):
    campaign = priced(account, contact_list, simulation=True)
    html = client_logged.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()
    assert 'data-testid="credit-price">0.00 <small>EUR' in html
    assert "a real send would cost 0.35 EUR" in html
    assert 'data-testid="credit-after">1500.00 <small>EUR' in html
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/confirm/", {"when": "now"}, follow=True
    )
    assert "nothing was charged" in response.content.decode()
    assert not LedgerEntry.objects.filter(kind="reservation").exists()


def test_unpriced_campaign_sends_back_to_the_cost_step(
    client_logged, account, contact_list
):
    campaign = configured(account, contact_list)
    html = client_logged.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()
    assert "No price yet" in html
    assert f'href="/campaigns/{campaign.pk}/cost/"' in html


def test_already_confirmed_says_so(client_logged, account, contact_list):
    campaign = priced(account, contact_list)
    client_logged.post(f"/campaigns/{campaign.pk}/confirm/", {"when": "now"})
    html = client_logged.get(f"/campaigns/{campaign.pk}/confirm/").content.decode()
    assert "This campaign is confirmed." in html
    assert "Confirm campaign" not in html
