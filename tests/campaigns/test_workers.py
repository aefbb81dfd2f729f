"""Real worker processes send real campaigns: crashes, several workers, Redis restarts.

Each test runs its own Celery workers (`celery -A config worker -B`) as separate
processes on the test database, with a queue of its own so parallel test runs do
not share work. What counts is what the simulator recorded and what the ledger
says: one submission per recipient, none lost, captured == what was submitted.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection  # noqa: F401  (read by the skipif condition)
from django.db.models import Sum

from accounts.models import LedgerEntry
from accounts.services import account_create
from campaigns.models import Campaign
from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
from messaging.models import SUBMITTED, Message, SimulatorSubmission
from tests.campaigns.conftest import italian_rows, make_list

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]


def _confirmed(recipients: int) -> Campaign:
    account = account_create(name="Fleet", credit=Decimal("5000.00"))
    contact_list = make_list(account, italian_rows(recipients))
    campaign = campaign_create(
        account=account, name="Fleet", text="Ciao!", contact_list=contact_list
    )
    campaign_calculate(account=account, pk=campaign.pk)
    return campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)


def _wait(campaign: Campaign, status: str, timeout: float, *, until=None) -> Campaign:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.status == status if until is None else until():
            return campaign
        time.sleep(0.3)
    pytest.fail(f"campaign {campaign.pk} still {campaign.status} after {timeout} s")


def _assert_sent_exactly_once(campaign: Campaign, recipients: int) -> None:
    campaign.refresh_from_db()
    submissions = SimulatorSubmission.objects.filter(campaign_id=campaign.pk)
    assert submissions.count() == recipients
    assert submissions.values("phone").distinct().count() == recipients
    assert Message.objects.filter(campaign=campaign, status__in=SUBMITTED).count() == (
        recipients
    )
    submitted = Message.objects.filter(
        campaign=campaign, status__in=SUBMITTED
    ).aggregate(total=Sum("price"))["total"]
    ledger = dict(
        LedgerEntry.objects.filter(reference=campaign.reference).values_list(
            "kind", "amount"
        )
    )
    assert (
        ledger["capture"]
        == campaign.captured_amount
        == submitted.quantize(Decimal("0.01"))
    )
    assert ledger["capture"] + ledger.get("release", 0) == ledger["reservation"]


def test_a_worker_killed_mid_campaign_loses_and_doubles_nothing(fleet):
    recipients = 20_000
    campaign = _confirmed(recipients)
    workers = fleet()
    first = workers.start(beat=True)
    workers.send("campaigns.start", campaign.pk)
    _wait(
        campaign,
        "",
        120,
        until=lambda: (
            SimulatorSubmission.objects.filter(campaign_id=campaign.pk).count() > 2_000
        ),
    )
    workers.kill(first)
    assert Campaign.objects.get(pk=campaign.pk).status == "SENDING"
    workers.start(beat=True)
    _wait(campaign, "COMPLETED", 240)
    _assert_sent_exactly_once(campaign, recipients)


def test_three_workers_share_one_campaign_without_duplicates(fleet):
    recipients = 6_000
    campaign = _confirmed(recipients)
    workers = fleet()
    workers.start(beat=True)
    workers.start()
    workers.start()
    workers.send("campaigns.start", campaign.pk)
    _wait(campaign, "COMPLETED", 180)
    _assert_sent_exactly_once(campaign, recipients)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    pytest.fail("redis-server did not start")


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_a_redis_restart_mid_campaign_loses_and_doubles_nothing(fleet):
    port = _free_port()
    redis = _redis(port)
    try:
        recipients = 8_000
        campaign = _confirmed(recipients)
        workers = fleet(f"redis://127.0.0.1:{port}/0")
        workers.start(beat=True)
        workers.send("campaigns.start", campaign.pk)
        _wait(
            campaign,
            "",
            120,
            until=lambda: (
                SimulatorSubmission.objects.filter(campaign_id=campaign.pk).count()
                > 1_000
            ),
        )
        redis.send_signal(signal.SIGKILL)  # every queued task is gone with it
        redis.wait(timeout=10)
        time.sleep(2)
        redis = _redis(port)
        _wait(campaign, "COMPLETED", 240)
        _assert_sent_exactly_once(campaign, recipients)
    finally:
        redis.kill()
        redis.wait(timeout=10)
