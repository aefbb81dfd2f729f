"""Creating, changing, pausing, resuming and ending a recurring campaign."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.errors import DomainError
from campaigns.models import RecurringCampaign
from campaigns.recurring import (
    recurring_create,
    recurring_end,
    recurring_pause,
    recurring_resume,
    recurring_update,
)
from tests.campaigns.recurring_builders import BEFORE_SPRING, weekly_reminder


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_create_keeps_the_settings_and_the_first_run(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    assert recurring.status == "ACTIVE"
    assert recurring.channel == "SMS"
    assert recurring.rrule == "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"
    assert recurring.starts_at == BEFORE_SPRING.replace(second=0)
    assert recurring.next_run_at == utc(2026, 3, 23, 7)


def test_the_time_zone_defaults_to_the_account_s(account, contact_list):
    account.timezone = "America/New_York"
    recurring = weekly_reminder(account, contact_list, timezone="")
    assert recurring.timezone == "America/New_York"
    assert recurring.next_run_at == utc(2026, 3, 23, 12)  # 08:00 EDT


def test_a_later_start_is_the_first_run_when_it_matches(account, contact_list):
    monday = datetime(2026, 4, 6, 6, 0, tzinfo=UTC)  # 08:00 in Rome
    recurring = weekly_reminder(account, contact_list, starts_at=monday)
    assert recurring.next_run_at == monday


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"contact_list": None}, "contact_list", "Choose the contact list"),
        ({"text": ""}, "text", "Write the message each run sends."),
        ({"name": " "}, "name", "A campaign needs a name."),
        ({"sender": "Far too long a sender"}, "sender", "Sender must be"),
        ({"rrule": "FREQ=MINUTELY"}, "rrule", "at most once an hour"),
        ({"timezone": "Europe/Milano"}, "timezone", "Unknown time zone"),
        ({"ends_at": utc(2026, 3, 1)}, "ends_at", "The end must be after"),
        (
            {"rrule": "FREQ=WEEKLY;COUNT=1", "starts_at": utc(2020, 1, 1)},
            "rrule",
            "no run left",
        ),
    ],
)
def test_create_refuses_what_could_never_run(
    account, contact_list, change, field, message
):
    to = change.pop("contact_list", contact_list)
    with pytest.raises(DomainError, match=message) as refused:
        weekly_reminder(account, to, **change)
    assert field in refused.value.data
    assert not RecurringCampaign.objects.exists()


def test_another_account_s_list_is_not_found(account, other_account, contact_list):
    with pytest.raises(DomainError, match="Contact list not found"):
        weekly_reminder(other_account, contact_list)


def test_rich_channels_need_a_template_or_a_text(account, contact_list):
    with pytest.raises(DomainError) as refused:
        recurring_create(
            account=account,
            name="WA",
            channel="whatsapp",
            contact_list=contact_list,
            rrule="FREQ=DAILY",
        )
    assert list(refused.value.data) == ["template_id"]
    recurring = recurring_create(
        account=account,
        name="WA",
        channel="whatsapp",
        template_id="weekly_reminder_v2",
        contact_list=contact_list,
        rrule="FREQ=DAILY;BYHOUR=9",
    )
    assert recurring.channel == "WHATSAPP"


def test_a_new_rule_starts_counting_now(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    changed = recurring_update(
        account=account,
        pk=recurring.pk,
        now=utc(2026, 3, 20, 12),
        rrule="freq=weekly;byday=tu,th;byhour=18;byminute=30",
    )
    assert changed.rrule == "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=18;BYMINUTE=30"
    assert changed.starts_at == utc(2026, 3, 20, 12)
    assert changed.next_run_at == utc(2026, 3, 24, 17, 30)


def test_changing_the_zone_keeps_the_wall_time(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    changed = recurring_update(
        account=account, pk=recurring.pk, timezone="Europe/London", now=BEFORE_SPRING
    )
    assert changed.next_run_at == utc(2026, 3, 23, 8)  # 08:00 GMT


def test_settings_change_for_later_runs(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    changed = recurring_update(
        account=account, pk=recurring.pk, text="Nuovo testo", now=BEFORE_SPRING
    )
    assert changed.text == "Nuovo testo"
    assert changed.next_run_at == recurring.next_run_at
    with pytest.raises(DomainError, match="Choose the contact list"):
        recurring_update(account=account, pk=recurring.pk, contact_list=None)


def test_pause_resume_end(account, contact_list):
    recurring = weekly_reminder(account, contact_list)
    paused = recurring_pause(account=account, pk=recurring.pk)
    assert (paused.status, paused.next_run_at) == ("PAUSED", None)
    with pytest.raises(DomainError, match="already paused") as refused:
        recurring_pause(account=account, pk=recurring.pk)
    assert refused.value.status_code == 409
    resumed = recurring_resume(account=account, pk=recurring.pk, now=BEFORE_SPRING)
    assert (resumed.status, resumed.next_run_at) == ("ACTIVE", utc(2026, 3, 23, 7))
    ended = recurring_end(account=account, pk=recurring.pk)
    assert (ended.status, ended.next_run_at) == ("ENDED", None)
    assert ended.ended_at is not None
    for action, message in [
        (recurring_pause, "has ended and cannot be paused."),
        (recurring_resume, "has ended and cannot be resumed."),
        (recurring_end, "This recurring campaign has already ended."),
        (recurring_update, "has ended and cannot be changed."),
    ]:
        with pytest.raises(DomainError, match=message) as refused:
            action(account=account, pk=recurring.pk)
        assert refused.value.status_code == 409


def test_a_schedule_without_runs_left_cannot_resume(account, contact_list):
    recurring = weekly_reminder(
        account, contact_list, ends_at=utc(2026, 3, 25), now=BEFORE_SPRING
    )
    recurring_pause(account=account, pk=recurring.pk)
    with pytest.raises(DomainError, match="No run is left") as refused:
        recurring_resume(account=account, pk=recurring.pk, now=utc(2026, 3, 24))
    assert refused.value.status_code == 409


def test_another_account_s_recurring_campaign_is_not_found(
    account, other_account, contact_list
):
    recurring = weekly_reminder(account, contact_list)
    for action in (recurring_pause, recurring_resume, recurring_end, recurring_update):
        with pytest.raises(DomainError) as refused:
            action(account=other_account, pk=recurring.pk)
        assert refused.value.status_code == 404
    recurring.refresh_from_db()
    assert recurring.status == "ACTIVE"
