"""The recurring campaigns page (list, picker, preview, pause/resume/end) and the
dashboard card that shows skipped runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.credit import credit_adjust
from campaigns.models import RecurringCampaign
from campaigns.recurring import recurring_run_due
from tests.campaigns.recurring_builders import MONDAYS_AT_8, REMINDER, weekly_reminder

PAGE = "/campaigns/recurring/"


def picker_form(contact_list, **changes) -> dict:
    form = {
        "name": "Promemoria settimanale",
        "contact_list": contact_list.pk,
        "sender": "StudioBian",
        "text": REMINDER,
        "days": ["MO"],
        "at": "08:00",
        "timezone": "Europe/Rome",
        "rrule": "",
    }
    return {**form, **changes}


@pytest.mark.smoke
def test_the_page_offers_the_picker_with_a_preview(client_logged, contact_list):
    response = client_logged.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "No recurring campaigns yet" in html
    assert 'value="MO" id="id_days_0" checked' in html
    assert 'type="time" name="at" value="08:00"' in html
    assert '<option value="Europe/Rome" selected>Europe/Rome</option>' in html
    assert "Next runs (Europe/Rome):" in html
    assert html.count("Monday") >= 3
    assert ", 08:00</li>" in html


@pytest.mark.smoke
def test_create_with_the_picker(client_logged, account, contact_list, user):
    response = client_logged.post(
        PAGE, picker_form(contact_list, days=["MO", "TH"], at="07:30")
    )
    recurring = RecurringCampaign.objects.get()
    assert response.status_code == 302
    assert response.url == f"{PAGE}?created={recurring.pk}#recurring-{recurring.pk}"
    assert recurring.rrule == "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=7;BYMINUTE=30"
    assert recurring.created_by == user
    assert recurring.account == account
    html = client_logged.get(response.url).content.decode()
    assert f'class="card recurring highlight" id="recurring-{recurring.pk}"' in html
    assert "Every Monday and Thursday at 07:30" in html
    assert "is scheduled; its first run is" in html
    assert "No runs yet." in html


def test_the_advanced_rule_wins_over_the_picker(client_logged, contact_list):
    client_logged.post(
        PAGE, picker_form(contact_list, rrule="FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9")
    )
    recurring = RecurringCampaign.objects.get()
    assert recurring.rrule == "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9"
    html = client_logged.get(PAGE).content.decode()
    assert "<code>FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9</code>" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rrule": "FREQ=MINUTELY"}, "a schedule runs at most once an hour."),
        ({"days": []}, "Pick at least one day, or write a rule."),
        ({"text": "  "}, "Write the message."),
        ({"sender": "Far too long a sender"}, "Ensure this value has at most 15"),
        ({"sender": "Bad sender!"}, "Sender must be up to 11 letters"),
    ],
)
def test_refusals_are_shown_inline(client_logged, contact_list, changes, message):
    response = client_logged.post(
        PAGE, picker_form(contact_list, **changes), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="recurring-form"')
    assert message in html
    assert not RecurringCampaign.objects.exists()


def test_the_preview_follows_the_fields(client_logged):
    html = client_logged.get(
        f"{PAGE}preview/",
        {"days": ["TU"], "at": "18:30", "timezone": "America/New_York"},
    ).content.decode()
    assert html.lstrip().startswith('<div id="schedule-preview"')
    assert "Next runs (America/New_York):" in html
    assert html.count("Tuesday") == 3
    assert html.count(", 18:30</li>") == 3
    bad = client_logged.get(f"{PAGE}preview/", {"rrule": "FREQ=SECONDLY"})
    assert "at most once an hour" in bad.content.decode()
    none = client_logged.get(f"{PAGE}preview/", {"at": "08:00"})
    assert "Pick at least one day and a time." in none.content.decode()


def test_pause_resume_and_end(client_logged, account, contact_list):
    recurring = weekly_reminder(account, contact_list, now=datetime.now(UTC))
    base = f"{PAGE}{recurring.pk}"
    html = client_logged.post(f"{base}/pause/", follow=True).content.decode()
    assert "“Promemoria settimanale” is paused." in html
    assert 'data-testid="next-run">paused<' in html
    assert "Resume</button>" in html
    html = client_logged.post(f"{base}/resume/", follow=True).content.decode()
    assert "“Promemoria settimanale” runs again." in html
    html = client_logged.post(f"{base}/end/", follow=True).content.decode()
    assert "“Promemoria settimanale” has ended." in html
    assert "Pause</button>" not in html
    again = client_logged.post(f"{base}/end/", follow=True).content.decode()
    assert "This recurring campaign has already ended." in again
    assert client_logged.get(f"{base}/pause/").status_code == 405


def test_another_account_s_buttons_are_404(other_client, account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    for action in ("pause", "resume", "end"):
        response = other_client.post(f"{PAGE}{recurring.pk}/{action}/")
        assert response.status_code == 404
    assert "Promemoria" not in other_client.get(PAGE).content.decode()
    recurring.refresh_from_db()
    assert recurring.status == "ACTIVE"


@pytest.mark.smoke
def test_a_skipped_run_is_shown_on_the_page_and_the_dashboard(
    client_logged, account, contact_list
):
    credit_adjust(account=account, amount=Decimal("-1499.90"))
    recurring = weekly_reminder(account, contact_list)
    recurring_run_due(now=recurring.next_run_at + timedelta(seconds=5))
    reason = "Insufficient credit. Required: 0.35, available: 0.10"

    html = client_logged.get(PAGE).content.decode()
    assert f"The run of 23 Mar 2026, 08:00 was skipped: {reason}" in html
    assert '<span class="badge status-canceled">Canceled</span>' in html
    assert f'<small class="muted">{reason}</small>' in html
    occurrence = recurring.occurrences.get()
    assert f'href="/campaigns/{occurrence.pk}/"' in html

    home = client_logged.get("/").content.decode()
    assert 'data-testid="recurring-card"' in home
    assert "Skipped runs" in home
    assert f'23 Mar 2026, 08:00</time>: <span class="neg">{reason}</span>' in home
    detail = client_logged.get(f"/campaigns/{occurrence.pk}/").content.decode()
    assert "Run of 23 Mar 2026, 08:00 of the recurring campaign" in detail
    assert reason in detail  # the history row's note


def test_the_dashboard_card_stays_away_without_recurring_campaigns(client_logged):
    assert 'data-testid="recurring-card"' not in client_logged.get("/").content.decode()


def test_the_page_s_queries_do_not_grow_with_schedules(
    client_logged, account, contact_list, django_assert_num_queries
):
    for i in range(8):
        recurring = weekly_reminder(
            account, contact_list, name=f"R{i}", rrule=MONDAYS_AT_8
        )
    recurring_run_due(now=recurring.next_run_at + timedelta(seconds=5))
    # session, user, membership, accounts of the user, schedules, their latest runs,
    # the lists the form offers
    with django_assert_num_queries(7):
        response = client_logged.get(PAGE)
    assert response.content.decode().count('data-testid="recurring"') == 8


def test_italian(client_logged, account, contact_list):
    weekly_reminder(account, contact_list)
    html = client_logged.get(PAGE, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Campagne ricorrenti" in html
    assert "Ogni lunedì alle 08:00" in html
    assert "Prossima esecuzione" in html
