"""Sending a campaign through the simulator on PostgreSQL, each step beside a floor.

Run from the repository root (PostgreSQL on 127.0.0.1 with trust auth):

    .venv/bin/python bench/send_campaign.py [recipients]

It creates the database `megafono_bench_send` (or uses `DATABASE_URL`), migrates
it, fills one list with one INSERT ... SELECT, confirms a campaign and then times,
in this one process: creating the messages (`campaign_prepare`) against one
`INSERT ... SELECT` of the same rows into a scratch table; dispatching them
(`campaign_send_batch` until nothing is queued) against a bare claim-and-update of
the same batches; applying the simulator's reports; and `campaign_stats` p95
while reports are applied. Worker processes, the broker and the rate limiter are
not in these figures (tests/campaigns/test_workers.py runs real workers).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/megafono_bench_send"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SIMULATOR_MIN_DELAY", "0")
os.environ.setdefault("SIMULATOR_MAX_DELAY", "0")
os.environ.setdefault("SEND_BATCH_SIZE", "2000")

import django
import psycopg


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
        if not c.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')


def timed(label: str, run, count: int) -> float:
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:8.2f} s  {count / elapsed:10,.0f} /s")
    return elapsed


def main(recipients: int) -> None:
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.services import account_create
    from campaigns import sending
    from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
    from campaigns.stats import campaign_stats
    from contacts.models import ContactList
    from messaging.gateways.simulator.reporting import simulator_reports_send
    from messaging.receipts import reports_apply

    account = account_create(name="Bench", credit=10_000_000)
    contact_list = ContactList.objects.create(account=account, name="Bench send")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contact
                (contact_list_id, raw_phone, phone, status, reason, country,
                 number_type, first_name, last_name, attributes, source, row_number,
                 created_at)
            SELECT %s, '333' || lpad(n::text, 7, '0'), '+39333' || lpad(n::text, 7, '0'),
                   'valid', '', 'IT', 'mobile', 'Nome', '', '{}', 'api', n, now()
            FROM generate_series(1, %s) AS n
            """,
            [contact_list.pk, recipients],
        )
        cursor.execute("ANALYZE contacts_contact")
    campaign = campaign_create(
        account=account, name="Bench", text="Saldi -30% oggi", contact_list=contact_list
    )
    campaign_calculate(account=account, pk=campaign.pk)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor AS SELECT * FROM messaging_message WITH NO DATA"
        )
        floor = (
            "INSERT INTO bench_floor (account_id, contact_id, phone, country, channel,"
            " sender, text, parts, encoding, unit_price, price, status, gateway,"
            " client_ref, provider_id, error_code, error_reason, attempts, created_at)"
            " SELECT %s, id, phone, country, 'SMS', '', 'Saldi -30%%%% oggi', 1,"
            " 'GSM-7', 0.035, 0.035, 'QUEUED', 'simulator', gen_random_uuid(),"
            " '', '', '', 0, now() FROM contacts_contact WHERE contact_list_id = %s"
        )
        timed(
            "floor: INSERT ... SELECT of the same rows",
            lambda: cursor.execute(floor % (account.pk, contact_list.pk)),
            recipients,
        )
        cursor.execute("DROP TABLE bench_floor")
    timed(
        "messages created (campaign_prepare, COPY)",
        lambda: sending.campaign_prepare(campaign_id=campaign.pk),
        recipients,
    )
    sending.campaign_start(campaign_id=campaign.pk)

    def dispatch() -> None:
        while sending.campaign_send_batch(campaign_id=campaign.pk):
            pass

    timed("dispatched (claim, submit, record), 1 process", dispatch, recipients)

    latencies: list[float] = []

    def apply() -> None:
        while simulator_reports_send() or reports_apply():
            start = time.perf_counter()
            campaign_stats(campaign)
            latencies.append(time.perf_counter() - start)

    timed("reports sent by the simulator and applied", apply, recipients)
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else 0
    print(f"{'campaign_stats p95 while reports applied':<48} {p95:8.2f} ms")
    sending.campaign_try_complete(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    print(f"status {campaign.status}, captured {campaign.captured_amount} EUR")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
