"""Sending a campaign through the simulator on PostgreSQL + Redis, beside floors.

Run from the repository root (PostgreSQL and Redis on 127.0.0.1):

    .venv/bin/python bench/send_campaign.py [recipients] [workers]

Defaults: 1,000,000 recipients, 2 worker processes. It creates the database
`megafono_bench_send` (or uses `DATABASE_URL`), fills one list with one
INSERT ... SELECT, confirms a campaign and measures:

1. message creation (`campaign_prepare`) for a text that is the same for
   everyone and, on a tenth of the list, for a personalized one, beside one
   `INSERT ... SELECT` of the same rows (same campaign id, same reference
   expression) into a copy of the messages table with the same indexes (the
   floor);
2. dispatch by real Celery worker processes (solo pool, one process each, on a
   queue of their own, simulator without report delay), from the start task
   until nothing is queued, beside the same workers running no-op tasks
   (`celery.accumulate`), expressed as messages/s at the batch size;
3. delivery reports: the simulator's reports are first stored (the fake
   provider's side, timed apart), then applied by as many processes running
   `reports_apply` in a loop, beside `UPDATE`ing the same rows' status once;
4. `GET /api/campaigns/{id}/stats` p95 (the whole Django request: key check,
   query, JSON) sampled while dispatching and applying, the dashboard's
   figures of the month and the live panel (`GET /campaigns/{id}/live/`, its
   failures by reason included) once the campaign is complete, and the
   workers' resident memory at the start, middle and end of dispatch.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import django
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/megafono_bench_send"
)
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SEND_BATCH_SIZE", "1000")
os.environ.setdefault("SEND_LANES", "4")


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')


def line(label: str, seconds: float, count: int, unit: str = "/s") -> None:
    print(f"{label:<58} {seconds:8.2f} s {count / seconds:11,.0f} {unit}", flush=True)


def rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def stats_p95s(when: str, samples: list[tuple[float, float]]) -> None:
    reads, requests = zip(*samples, strict=True)
    print(
        f"{'  stats p95 while ' + when + ': read (campaign_stats)':<58} {p95(list(reads)):8.2f} ms"
    )
    print(
        f"{'  stats p95 while ' + when + ': GET …/stats':<58} {p95(list(requests)):8.2f} ms"
    )


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0] * 1000 if samples else 0.0
    return statistics.quantiles(samples, n=20)[-1] * 1000


def start_workers(n: int) -> list[subprocess.Popen]:
    queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
        "-c", "1", "-P", "solo", "--without-gossip", "--without-mingle",
        "-l", "WARNING",
    ]  # fmt: skip
    return [
        subprocess.Popen(
            [*command, "-n", f"bench{i}-{queue}@%h"], cwd=ROOT, env=os.environ.copy()
        )
        for i in range(n)
    ]


def main(recipients: int, workers: int) -> None:
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ["SIMULATOR_MIN_DELAY"] = os.environ["SIMULATOR_MAX_DELAY"] = "0"
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from celery import current_app
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.apikeys import apikey_create
    from accounts.models import Membership
    from accounts.services import account_create
    from campaigns import sending
    from campaigns.models import Campaign
    from campaigns.schemas import stats_out
    from campaigns.selectors import campaign_overview
    from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
    from campaigns.stats import campaign_stats
    from contacts.models import ContactList
    from messaging.gateways.simulator.reporting import simulator_reports_send
    from messaging.models import FAILURES
    from messaging.references import reference_sql
    from messaging.tallies import tallies_for

    batch = int(os.environ["SEND_BATCH_SIZE"])
    print(
        f"{recipients:,} recipients, {workers} worker processes, batch {batch}, "
        f"lanes {os.environ['SEND_LANES']}",
        flush=True,
    )
    account = account_create(name="Bench", credit=10_000_000)
    _key, secret = apikey_create(account=account, name="Bench")
    client = Client(HTTP_HOST="localhost", headers={"X-Api-Key": secret})

    def stats_request(campaign_id: int) -> tuple[float, float]:
        """Seconds the stats take: read and shaped by the function the endpoint
        calls, and one GET of the endpoint, end to end in Django."""
        t = time.perf_counter()
        # The endpoint has the account from the key: one query for both here.
        stats_out(
            campaign_stats(
                Campaign.objects.select_related("account").get(pk=campaign_id)
            )
        )
        read = time.perf_counter() - t
        t = time.perf_counter()
        response = client.get(f"/api/campaigns/{campaign_id}/stats", secure=True)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.content
        return read, elapsed

    contact_list = ContactList.objects.create(account=account, name="Bench send")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contact
                (contact_list_id, raw_phone, phone, status, reason, country,
                 number_type, first_name, last_name, attributes, source, row_number,
                 created_at)
            SELECT %s, '333' || lpad(n::text, 7, '0'), '+39333' || lpad(n::text, 7, '0'),
                   'valid', '', 'IT', 'mobile', 'Nome' || (n %% 100), '', '{}', 'api', n,
                   now()
            FROM generate_series(1, %s) AS n
            """,
            [contact_list.pk, recipients],
        )
        cursor.execute("ANALYZE contacts_contact")

    def confirmed(text: str, goal: int | None = None):
        campaign = campaign_create(
            account=account,
            name="Bench",
            text=text,
            contact_list=contact_list,
            goal_contact_count=goal,
        )
        campaign_calculate(account=account, pk=campaign.pk)
        return campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)

    # 1. Creation. The floor writes the same rows as the campaign (its id, so
    # the unique (campaign, phone) index is maintained; the same reference
    # expression) into a table with the same indexes, in one statement.
    campaign = confirmed("Saldi -30% oggi")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (LIKE messaging_message INCLUDING ALL)"
        )
        values = {
            "account_id": "%s",
            "campaign_id": str(campaign.pk),
            "contact_id": "id",
            "phone": "phone",
            "country": "country",
            "channel": "'SMS'",
            "sender": "''",
            "text": "'Saldi -30%% oggi'",
            "parts": "1",
            "encoding": "'GSM-7'",
            "unit_price": "0.035",
            "price": "0.035",
            "status": "'QUEUED'",
            "gateway": "'simulator'",
            "client_ref": reference_sql(),
            "attempts": "0",
            "created_at": "now()",
            "canary": "false",
            "payload": "NULL",
        }
        columns = sending._COLUMNS
        start = time.perf_counter()
        cursor.execute(
            f"INSERT INTO bench_floor ({', '.join(columns)})"
            f" SELECT {', '.join(values.get(c, chr(39) * 2) for c in columns)}"
            " FROM contacts_contact WHERE contact_list_id = %s",
            [account.pk, contact_list.pk],
        )
        floor = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_floor")
    line("floor: INSERT ... SELECT into a same-index table", floor, recipients)
    personal = confirmed("Ciao {{first_name}}, -30% oggi", goal=recipients // 10)
    start = time.perf_counter()
    sending.campaign_prepare(campaign_id=personal.pk)
    line(
        f"created, personalized ({recipients // 10:,}, COPY)",
        time.perf_counter() - start,
        recipients // 10,
    )
    start = time.perf_counter()
    sending.campaign_prepare(campaign_id=campaign.pk)
    created = time.perf_counter() - start
    line("created, same text for all (INSERT ... SELECT)", created, recipients)
    print(f"{'  x floor':<58} {created / floor:8.1f}", flush=True)

    # 2. Dispatch by worker processes, beside no-op tasks on the same workers.
    queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
    redis = current_app.connection_for_write().default_channel.client
    redis.delete(queue)  # the start tasks confirming queued: sent below, when timed
    noops = 5_000
    with current_app.producer_or_acquire() as producer:
        for _ in range(noops):
            current_app.send_task(
                "celery.accumulate", args=[1], queue=queue, producer=producer
            )
    fleet = start_workers(workers)
    while redis.llen(queue) >= noops:  # timed from the first task a worker takes
        time.sleep(0.01)
    start = time.perf_counter()
    while redis.llen(queue):
        time.sleep(0.01)
    noop = time.perf_counter() - start
    line(f"floor: {noops:,} no-op tasks", noop, noops, "tasks/s")
    print(
        f"{'  as messages at the batch size':<58} {'':8} "
        f"{noops * batch / noop:11,.0f} /s",
        flush=True,
    )
    memory: list[list[float]] = []
    stats_times: list[tuple[float, float]] = []
    stats_request(campaign.pk)  # a warm server: URL and schema loading not timed
    start = time.perf_counter()
    current_app.send_task("campaigns.start", args=[campaign.pk], queue=queue)
    half = False
    memory.append([rss_mb(p.pid) for p in fleet])
    while tallies_for(campaign.pk).get("QUEUED", recipients):
        stats_times.append(stats_request(campaign.pk))
        if not half and tallies_for(campaign.pk).get("QUEUED", 0) < recipients // 2:
            memory.append([rss_mb(p.pid) for p in fleet])
            half = True
        time.sleep(0.2)
    dispatched = time.perf_counter() - start
    memory.append([rss_mb(p.pid) for p in fleet])
    for process in fleet:
        process.terminate()
    for process in fleet:
        process.wait()
    line(
        f"dispatched by {workers} workers (claim, submit, record)",
        dispatched,
        recipients,
    )
    stats_p95s("dispatching", stats_times)
    print(
        f"{'  worker RSS MB at start / half / end':<58} "
        + " | ".join(" / ".join(f"{m[i]:.0f}" for m in memory) for i in range(workers)),
        flush=True,
    )

    # 3. Reports: the fake provider sends them, then our processes apply them.
    start = time.perf_counter()
    while simulator_reports_send():
        pass
    line(
        "simulator sent its reports (provider side)",
        time.perf_counter() - start,
        recipients,
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor AS SELECT * FROM messaging_message")
        cursor.execute("CREATE INDEX ON bench_floor (id)")
        cursor.execute("ANALYZE bench_floor")
        start = time.perf_counter()
        cursor.execute(
            "UPDATE bench_floor SET status = 'DELIVERED', finished_at = now()"
            " WHERE campaign_id = %s",
            [campaign.pk],
        )
        floor = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_floor")
    line("floor: one UPDATE of every message's status", floor, recipients)
    code = "from messaging.receipts import reports_apply\nwhile reports_apply(): pass"
    appliers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        for _ in range(workers)
    ]
    stats_times = []
    start = time.perf_counter()
    while any(p.poll() is None for p in appliers):
        stats_times.append(stats_request(campaign.pk))
        time.sleep(0.2)
    applied = time.perf_counter() - start
    line(f"reports applied by {workers} processes", applied, recipients)
    stats_p95s("applying", stats_times)
    sending.campaign_try_complete(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    counts = tallies_for(campaign.pk)
    print(
        f"status {campaign.status}, captured {campaign.captured_amount} EUR, {counts}"
    )
    overview_times = []
    for _ in range(20):
        t = time.perf_counter()
        overview = campaign_overview(account=account)
        overview_times.append(time.perf_counter() - t)
    print(
        f"{'  dashboard figures of the month, p95 (sent ' + str(overview['sent']) + ')':<58}"
        f" {p95(overview_times):8.2f} ms"
    )
    owner = get_user_model().objects.create_user(username=f"bench-{uuid.uuid4().hex}")
    Membership.objects.create(user=owner, account=account, role=Membership.Role.OWNER)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(owner)
    panel_times = []
    for _ in range(20):
        t = time.perf_counter()
        response = browser.get(f"/campaigns/{campaign.pk}/live/", secure=True)
        panel_times.append(time.perf_counter() - t)
        assert b"Failures by reason" in response.content, response.status_code
    failed = sum(n for status, n in counts.items() if status in FAILURES)
    print(
        f"{'  live panel GET p95 (' + format(failed, ',') + ' failed messages)':<58}"
        f" {p95(panel_times):8.2f} ms"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 2,
    )
