"""The ticker: each due run becomes one confirmed campaign, or a skip with a reason."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.credit import credit_top_up
from accounts.models import LedgerEntry
from accounts.services import account_create
from campaigns.models import Campaign, RecurringCampaign
from campaigns.recurring import recurring_pause, recurring_resume, recurring_run_due
from campaigns.services import campaign_create
from campaigns.tasks import run_recurring_task
from tests.campaigns.conftest import italian_rows, make_list
from tests.campaigns.recurring_builders import (
    BEFORE_AUTUMN,
    BEFORE_SPRING,
    ROME,
    weekly_reminder,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tick(when: datetime) -> list[Campaign]:
    """A ticker running a few seconds after `when`."""
    return recurring_run_due(now=when + timedelta(seconds=5))


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("created", "runs"),
    [
        # CET until 29 March 2026, then CEST: 08:00 local = 07:00, then 06:00 UTC.
        (BEFORE_SPRING, [utc(2026, 3, 23, 7), utc(2026, 3, 30, 6), utc(2026, 4, 6, 6)]),
        # CEST until 25 October 2026, then CET: 06:00, then 07:00 UTC.
        (
            BEFORE_AUTUMN,
            [utc(2026, 10, 19, 6), utc(2026, 10, 26, 7), utc(2026, 11, 2, 7)],
        ),
    ],
    ids=["spring", "autumn"],
)
def test_every_monday_at_eight_local_across_dst(account, contact_list, created, runs):
    recurring = weekly_reminder(account, contact_list, now=created)
    assert recurring.next_run_at == runs[0]
    for run, following in itertools.pairwise(runs):
        made = tick(run)
        assert len(made) == 1
        occurrence = Campaign.objects.get(pk=made[0].pk)
        assert occurrence.status == "CONFIRMED"
        assert occurrence.send_immediately
        assert occurrence.occurrence_at == run
        assert occurrence.recurring_id == recurring.pk
        local = run.astimezone(ROME)
        assert local.strftime("%a %H:%M") == "Mon 08:00"
        assert occurrence.name == f"Promemoria settimanale · {local:%Y-%m-%d} 08:00"
        recurring.refresh_from_db()
        assert recurring.next_run_at == following
        assert tick(run) == []  # a second beat finds nothing left to claim


def test_each_run_is_its_own_campaign_with_its_own_quote_and_reservation(
    account, contact_list
):
    recurring = weekly_reminder(account, contact_list)
    first = tick(utc(2026, 3, 23, 7))[0]
    second = tick(utc(2026, 3, 30, 6))[0]
    assert first.pk != second.pk
    for occurrence in Campaign.objects.filter(recurring=recurring):
        assert occurrence.text == recurring.text
        assert occurrence.sender == "StudioBian"
        assert occurrence.contact_list_id == contact_list.pk
        assert occurrence.recipient_count == 10
        assert occurrence.reserved_amount == Decimal("0.35")
        assert occurrence.events.filter(to_status="CONFIRMED").count() == 1
    reservations = LedgerEntry.objects.filter(account=account, kind="reservation")
    assert sorted(reservations.values_list("reference", flat=True)) == sorted(
        [f"campaign:{first.pk}", f"campaign:{second.pk}"]
    )


@pytest.mark.smoke
def test_too_little_credit_skips_the_run_with_its_reason_and_keeps_the_schedule(
    contact_list,
):
    poor = account_create(name="Studio Bianchi", credit=Decimal("0.10"))
    contact_list.account = poor
    contact_list.save()
    recurring = weekly_reminder(poor, contact_list)

    made = tick(utc(2026, 3, 23, 7))

    occurrence = Campaign.objects.get(pk=made[0].pk)
    reason = "Insufficient credit. Required: 0.35, available: 0.10"
    assert occurrence.status == "CANCELED"
    assert occurrence.events.get(to_status="CANCELED").note == reason
    assert occurrence.reserved_amount == 0
    recurring.refresh_from_db()
    assert recurring.status == "ACTIVE"
    assert recurring.last_error == reason
    assert recurring.last_error_at == utc(2026, 3, 23, 7)
    assert recurring.next_run_at == utc(2026, 3, 30, 6)
    poor.refresh_from_db()
    assert poor.balance == Decimal("0.10")
    assert not LedgerEntry.objects.filter(account=poor, kind="reservation").exists()

    # Topped up, the next Monday goes out, and the old reason is no longer shown.
    credit_top_up(account=poor, amount=Decimal("10.00"))
    confirmed = tick(utc(2026, 3, 30, 6))[0]
    assert Campaign.objects.get(pk=confirmed.pk).status == "CONFIRMED"
    recurring.refresh_from_db()
    assert recurring.last_error == ""
    assert recurring.last_error_at is None


def test_a_list_without_valid_recipients_is_skipped(account):
    nobody = make_list(account, [{"raw": "12ab", "status": "invalid"}], name="Vuota")
    recurring = weekly_reminder(account, nobody)
    made = tick(utc(2026, 3, 23, 7))
    assert Campaign.objects.get(pk=made[0].pk).status == "CANCELED"
    recurring.refresh_from_db()
    assert recurring.last_error == "The campaign has no valid recipients."
    assert recurring.next_run_at == utc(2026, 3, 30, 6)


def test_a_deleted_list_is_a_skip_with_a_reason(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    contact_list.delete()
    tick(utc(2026, 3, 23, 7))
    recurring.refresh_from_db()
    assert recurring.last_error == "Contact list is required before calculating cost"
    assert recurring.occurrences.get().status == "CANCELED"


def test_too_many_active_campaigns_is_a_skip(account, contact_list, settings):
    settings.CAMPAIGN_MAX_ACTIVE = 1
    recurring = weekly_reminder(account, contact_list)
    tick(utc(2026, 3, 23, 7))
    tick(utc(2026, 3, 30, 6))  # the first one has not been sent yet
    recurring.refresh_from_db()
    assert recurring.last_error == "At most 1 campaigns can be active at once."
    statuses = recurring.occurrences.order_by("occurrence_at").values_list(
        "status", flat=True
    )
    assert list(statuses) == ["CONFIRMED", "CANCELED"]


def test_a_run_found_too_late_is_skipped_not_sent_late(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    made = recurring_run_due(now=utc(2026, 3, 23, 9, 30))  # 10:30 in Rome
    assert made == []
    assert not Campaign.objects.exists()
    recurring.refresh_from_db()
    assert recurring.last_error == (
        "Skipped: it was due at 2026-03-23 08:00, but runs were checked only at "
        "2026-03-23 10:30."
    )
    assert recurring.next_run_at == utc(2026, 3, 30, 6)


def test_a_paused_schedule_does_not_run_and_resumes_from_now(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    recurring_pause(account=account, pk=recurring.pk)
    assert tick(utc(2026, 3, 23, 7)) == []
    resumed = recurring_resume(account=account, pk=recurring.pk, now=utc(2026, 4, 1))
    assert resumed.next_run_at == utc(2026, 4, 6, 6)  # the missed ones are not made up
    assert len(tick(utc(2026, 4, 6, 6))) == 1


def test_the_schedule_ends_after_its_last_run(account, contact_list):
    recurring = weekly_reminder(
        account, contact_list, rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;COUNT=1"
    )
    assert len(tick(recurring.next_run_at)) == 1
    recurring.refresh_from_db()
    assert recurring.status == "ENDED"
    assert recurring.next_run_at is None
    assert recurring.ended_at is not None


def test_an_existing_occurrence_is_never_made_twice(account, contact_list):
    """The unique (recurring, occurrence_at) constraint backs up the claim."""
    recurring = weekly_reminder(account, contact_list)
    run = recurring.next_run_at
    tick(run)
    RecurringCampaign.objects.filter(pk=recurring.pk).update(next_run_at=run)
    assert tick(run) == []
    assert recurring.occurrences.count() == 1
    recurring.refresh_from_db()
    assert recurring.next_run_at == utc(2026, 3, 30, 6)


def test_an_occurrence_left_unconfirmed_by_a_crash_is_confirmed_later(
    account, contact_list
):
    recurring = weekly_reminder(account, contact_list)
    run = recurring.next_run_at
    stranded = campaign_create(
        account=account, name="x", text="Ciao", contact_list=contact_list
    )
    Campaign.objects.filter(pk=stranded.pk).update(
        recurring=recurring,
        occurrence_at=run,
        updated_at=timezone.now() - timedelta(minutes=10),
    )
    RecurringCampaign.objects.filter(pk=recurring.pk).update(
        next_run_at=utc(2026, 3, 30, 6)
    )
    assert tick(run) == []  # nothing new to make, but the stranded one goes
    assert Campaign.objects.get(pk=stranded.pk).status == "CONFIRMED"


def test_the_beat_task_runs_the_service(account, contact_list):
    recurring = weekly_reminder(account, contact_list, now=timezone.now())
    RecurringCampaign.objects.filter(pk=recurring.pk).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )
    run_recurring_task()
    assert recurring.occurrences.get().status == "CONFIRMED"
    entry = settings.CELERY_BEAT_SCHEDULE["run-recurring-campaigns"]
    assert entry["task"] == "campaigns.run_recurring"
    assert entry["schedule"] == 30.0


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_tickers_at_once_make_one_occurrence():
    account = account_create(name="Race", credit=Decimal("100.00"))
    contact_list = make_list(account, italian_rows(10))
    recurring = weekly_reminder(account, contact_list)
    run = recurring.next_run_at
    made: list[int] = []
    barrier = threading.Barrier(2)

    def ticker() -> None:
        barrier.wait()
        try:
            made.extend(c.pk for c in tick(run))
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 1
    occurrence = Campaign.objects.get(recurring=recurring)
    assert occurrence.status == "CONFIRMED"
    assert LedgerEntry.objects.filter(account=account, kind="reservation").count() == 1
    recurring.refresh_from_db()
    assert recurring.next_run_at == utc(2026, 3, 30, 6)
