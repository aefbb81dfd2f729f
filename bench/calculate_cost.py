"""calculateGoal over a 1,000,000-contact list on PostgreSQL, against the SQL floor.

Run from the repository root (PostgreSQL on 127.0.0.1 with trust auth):

    .venv/bin/python bench/calculate_cost.py [rows]

It creates the database `megafono_bench` (or uses `DATABASE_URL`), migrates it, fills
one list with `rows` contacts (~5% invalid, ~3% duplicates, some opted out or
blacklisted, a `code` attribute, a few non-GSM names) with one INSERT ... SELECT,
then times the cost calculation with and without personalization fields and one
raw aggregate over the same rows, which is the floor.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/megafono_bench"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django
import psycopg


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def populate(rows: int):
    """One account, one list of `rows` contacts, opt-outs and blacklist entries."""
    from django.db import connection

    from accounts.services import account_create
    from contacts.models import BlacklistEntry, ContactList, OptOut

    account = account_create(name="Bench", credit=10_000_000)
    contact_list = ContactList.objects.create(account=account, name=f"Bench {rows}")
    with connection.cursor() as cursor:
        # Row i: every 20th is malformed, every 33rd repeats the number of row i-1.
        cursor.execute(
            """
            INSERT INTO contacts_contact
                (contact_list_id, raw_phone, phone, status, reason, country, number_type,
                 first_name, last_name, attributes, source, row_number, created_at)
            SELECT %(list)s,
                   '333' || lpad(n::text, 7, '0'),
                   CASE WHEN n %% 20 = 0 THEN ''
                        WHEN n %% 33 = 0 THEN '+39333' || lpad((n - 1)::text, 7, '0')
                        ELSE '+39333' || lpad(n::text, 7, '0') END,
                   CASE WHEN n %% 20 = 0 THEN 'invalid'
                        WHEN n %% 33 = 0 AND (n - 1) %% 20 <> 0 THEN 'duplicate'
                        ELSE 'valid' END,
                   CASE WHEN n %% 20 = 0 THEN 'too_short' ELSE '' END,
                   CASE WHEN n %% 20 = 0 THEN '' WHEN n %% 50 = 0 THEN 'CH' ELSE 'IT' END,
                   'mobile',
                   (ARRAY['Marco','Giulia','Francesca','Luca','Sofia','Matteo','Chiara',
                          'Niccolò','Èlia','Zoë'])[1 + n %% 10],
                   'Rossi',
                   jsonb_build_object('code', 'BF' || n, 'city', 'Milano'),
                   'import', n, now()
            FROM generate_series(1, %(rows)s) AS n
            """,
            {"list": contact_list.pk, "rows": rows},
        )
        cursor.execute("ANALYZE contacts_contact")
    OptOut.objects.bulk_create(
        OptOut(account=account, phone=f"+39333{n:07d}") for n in range(7, rows, 997)
    )
    BlacklistEntry.objects.bulk_create(
        (BlacklistEntry(phone=f"+39333{n:07d}") for n in range(11, rows, 1999)),
        ignore_conflicts=True,  # the blacklist is system-wide: earlier runs left theirs
    )
    return account, contact_list


def timed(label: str, run, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:9.1f} ms")
    return best, result


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from campaigns.services import campaign_calculate, campaign_create

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    account, contact_list = populate(rows)
    print(f"populated {rows:,} contacts in {time.perf_counter() - start:.1f} s")

    def calculate(text: str):
        campaign = campaign_create(
            account=account,
            name="b",
            text=text,
            contact_list=contact_list,
        )
        return lambda: campaign_calculate(account=account, pk=campaign.pk)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT count(*), count(*) FILTER (WHERE status = 'invalid'),
                          count(*) FILTER (WHERE status = 'duplicate')
                   FROM contacts_contact WHERE contact_list_id = %s""",
                [contact_list.pk],
            )
            return cursor.fetchone()

    floor_s, counts = timed("floor: one raw SQL aggregate", floor)
    plain_s, plain = timed(
        "calculateGoal, no personalization",
        calculate("Black Friday! -30% su tutto con il codice BF2026. Scopri di più."),
    )
    personal_s, personal = timed(
        "calculateGoal, {{first_name}} + {{code}}",
        calculate(
            "Ciao {{first_name}}, -30% su tutto con il codice {{code}}. Scopri di più."
        ),
        repeat=1,
    )
    print(f"rows total/invalid/duplicate: {counts}")
    print(
        f"plain: {plain.recipient_count:,} recipients, {plain.estimated_parts:,} parts, "
        f"{plain.estimated_cost} EUR; ratio to floor x{plain_s / floor_s:.1f}"
    )
    insights = personal.quote["insights"]
    print(
        f"personalized: {personal.estimated_parts:,} parts, {personal.estimated_cost} EUR,"
        f" histogram {personal.quote['partsHistogram']}, UCS-2 by data "
        f"{insights['ucs2Recipients']:,}, transliteration saves "
        f"{insights.get('transliteration', {}).get('saving', '0')} EUR; "
        f"ratio to floor x{personal_s / floor_s:.1f}"
    )
    contact_list.delete()


if __name__ == "__main__":
    main()
