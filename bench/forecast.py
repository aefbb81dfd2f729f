"""The completion forecast against the simulator's actual finish.

Run from the repository root (PostgreSQL on 127.0.0.1 with trust auth):

    .venv/bin/python bench/forecast.py [recipients]

Two runs, each priced (the forecast is calculateGoal's `estimatedCompletionTime`),
confirmed and sent through the simulator by this process, which does what the
lanes and beat do (claim batches, wait when throttled, revive quiet lanes):

1. "windows": Italian, UK and US numbers (New York, Chicago, Los Angeles) with a
   MO-FR 09:00-20:00 window and "at most 300 a minute", started on a Friday at
   18:50 UTC on a virtual clock (time-machine; the rate limiter kept in the
   database so it reads the same clock): part of it goes on Friday, the rest on
   Monday. Every message's submission is checked to fall inside its recipient's
   window.
2. "real time": Italian numbers, no window, "at most 1,200 a minute", on the real
   clock with the Redis bucket of `RATE_LIMIT_REDIS_URL` (or the database's).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/megafono_bench_forecast"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SIMULATOR_MIN_DELAY", "0")
os.environ.setdefault("SIMULATOR_MAX_DELAY", "0")

import django
import psycopg
import time_machine

WINDOW = {"days": ["MO", "TU", "WE", "TH", "FR"], "from": "09:00", "to": "20:00"}
# (prefix, country, digits after it): Italy, UK mobiles, New York, Chicago, LA.
PREFIXES = [
    ("+39333", "IT", 7),
    ("+447911", "GB", 6),
    ("+1212555", "US", 4),
    ("+1312555", "US", 4),
    ("+1213555", "US", 4),
]


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
        if not c.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')


def make_list(account, recipients: int, prefixes):
    from contacts.models import Contact, ContactList

    contact_list = ContactList.objects.create(account=account, name="Forecast")
    rows = []
    for i in range(recipients):
        prefix, country, digits = prefixes[i % len(prefixes)]
        phone = f"{prefix}{i:0{digits}d}"
        rows.append(
            Contact(
                contact_list=contact_list,
                raw_phone=phone,
                phone=phone,
                status="valid",
                country=country,
                source="api",
            )
        )
    Contact.objects.bulk_create(rows, batch_size=5000)
    return contact_list


def priced(account, contact_list, **settings):
    from campaigns.services import campaign_calculate, campaign_create

    campaign = campaign_create(
        account=account,
        name="Forecast",
        text="Saldi -30% oggi",
        contact_list=contact_list,
        **settings,
    )
    return campaign_calculate(account=account, pk=campaign.pk)


def drive(campaign_id: int, *, clock=None) -> datetime:
    """Send the campaign to the end as lanes and beat would; the last submission.

    With a virtual `clock`, waiting moves it; else this sleeps.
    """
    from django.conf import settings
    from django.utils import timezone

    from campaigns import sending
    from messaging.gateways.simulator.reporting import simulator_reports_send
    from messaging.models import Message
    from messaging.receipts import reports_apply

    def wait(seconds: float) -> None:
        if clock is None:
            time.sleep(seconds)
        else:
            clock.shift(timedelta(seconds=seconds))

    sending.campaign_start(campaign_id=campaign_id)
    while True:
        try:
            claimed = sending.campaign_send_batch(campaign_id=campaign_id)
        except sending.Throttled as throttled:
            wait(throttled.wait)
            continue
        if claimed:
            continue
        while simulator_reports_send() or reports_apply():
            pass
        if sending.campaign_try_complete(campaign_id=campaign_id):
            break
        # A lane that found nothing stops; beat revives it once the campaign has
        # been quiet for the claim timeout (a window opened meanwhile).
        wait(settings.SEND_CLAIM_TIMEOUT if clock else 1)
    last = (
        Message.objects.filter(campaign_id=campaign_id)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    return last or timezone.now()


def report(label: str, campaign, started: datetime, finished: datetime) -> None:
    """Forecast (calculateGoal's duration from `started`) against the actual."""
    planned = campaign.quote["forecast"]["estimatedDurationSeconds"]
    actual = (finished - started).total_seconds()
    error = (actual - planned) / planned * 100 if planned else 0.0
    forecast = started + timedelta(seconds=planned)
    print(
        f"{label:<11} recipients {campaign.recipient_count:>6}  "
        f"forecast {planned:>9.0f} s ({forecast:%a %H:%M:%S})  "
        f"actual {actual:>9.0f} s ({finished:%a %H:%M:%S})  error {error:+.1f} %"
    )


def windows_run(account, recipients: int) -> None:
    from django.conf import settings

    from campaigns.services import campaign_confirm
    from messaging.models import Message

    settings.RATE_LIMIT_REDIS_URL = ""  # the database's bucket reads the virtual clock
    # Friday 18:50 UTC: Rome closes in 10 minutes, London in 70, the US later;
    # what Rome cannot get by then waits for Monday 09:00 (08:00 UTC).
    start = datetime(2026, 12, 4, 18, 50, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        contact_list = make_list(account, recipients, PREFIXES)
        campaign = priced(account, contact_list, send_window=WINDOW, max_per_minute=300)
        campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
        finished = drive(campaign.pk, clock=clock)
    outside = 0
    for submitted, zone in Message.objects.filter(campaign=campaign).values_list(
        "submitted_at", "tz"
    ):
        local = submitted.astimezone(ZoneInfo(zone))
        if local.weekday() > 4 or not (9 <= local.hour < 20):
            outside += 1
    report("windows", campaign, start, finished)
    print(f"{'':<11} messages outside their recipient's window: {outside}")


def realtime_run(account, recipients: int) -> None:
    from django.utils import timezone

    from campaigns.services import campaign_confirm

    contact_list = make_list(account, recipients, PREFIXES[:1])
    campaign = priced(account, contact_list, max_per_minute=1200)
    started = timezone.now()
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    finished = drive(campaign.pk)
    report("real time", campaign, started, finished)


def main(recipients: int) -> None:
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command

    from accounts.services import account_create

    call_command("migrate", verbosity=0)
    account = account_create(name="Bench forecast", credit=1_000_000)
    realtime_run(account, min(recipients, 1200))
    windows_run(account, recipients)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6000)
