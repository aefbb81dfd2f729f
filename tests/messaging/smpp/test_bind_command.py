"""`manage.py smpp_bind` as production runs it: its own process, real PostgreSQL.

A campaign of 200 goes out through the loopback SMSC; every message is
submitted exactly once and ends DELIVERED by receipts that quote the SMSC's
ids in decimal where `submit_sm_resp` gave them in upper-case hex. Then the
same with the link dropped mid-stream.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from campaigns import sending
from campaigns.models import Campaign
from messaging.models import DeliveryReport, Message
from messaging.receipts import reports_apply
from tests.messaging.smpp.conftest import ROUTE, route_settings, sending_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def start_bind(tmp_path: Path, route: dict) -> subprocess.Popen:
    """`smpp_bind` in a subprocess on the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    settings_file = tmp_path / "route.json"
    settings_file.write_text(json.dumps(route))
    return subprocess.Popen(
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "smpp_bind",
            "--gateway",
            ROUTE,
            "--settings-file",
            str(settings_file),
        ],
        env={**os.environ, "DATABASE_URL": url, "SEND_CLAIM_TIMEOUT": "60"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=settings.BASE_DIR,
    )


def stop_bind(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()
    return output.decode()


def receipts_stored(count: int):
    return lambda: DeliveryReport.objects.filter(gateway=ROUTE).count() >= count


def finish(campaign: Campaign) -> None:
    """What beat does next: apply the receipts, complete the campaign."""
    while reports_apply():
        pass
    sending.campaign_try_complete(campaign_id=campaign.pk)
    campaign.refresh_from_db()


def test_200_messages_each_submitted_once_and_delivered(account, smsc, tmp_path):
    campaign = sending_campaign(account, 200, "Saldi: -30% su tutto, fino a domenica.")
    bind = start_bind(tmp_path, route_settings(smsc, window=20))
    try:
        assert smsc.wait_for(lambda: len(smsc.messages) == 200, timeout=60)
        assert smsc.wait_for(receipts_stored(200), timeout=30)
    finally:
        output = stop_bind(bind)

    assert len(smsc.per_destination()) == 200
    assert set(smsc.per_destination().values()) == {1}, output
    finish(campaign)
    statuses = Message.objects.filter(campaign=campaign).values_list(
        "status", flat=True
    )
    assert set(statuses) == {"DELIVERED"}
    # The stored id is the number both forms name: "F4241" and "1000001".
    ids = {s.message_id for s in smsc.submits}
    stored = Message.objects.filter(campaign=campaign).values_list(
        "provider_id", flat=True
    )
    assert {int(i) for i in stored} == ids
    assert campaign.status == "COMPLETED"
    assert smsc.unbinds == 1


def test_a_dropped_link_loses_nothing_and_duplicates_nothing(account, smsc, tmp_path):
    smsc.drop_after = 60  # the 61st submit breaks the link, unanswered
    campaign = sending_campaign(account, 150, "Promo flash: solo oggi!")
    bind = start_bind(tmp_path, route_settings(smsc, window=10))
    arrived = smsc.wait_for(lambda: len(smsc.messages) == 150, timeout=60)
    arrived = arrived and smsc.wait_for(receipts_stored(150), timeout=30)
    output = stop_bind(bind)
    assert arrived, (len(smsc.messages), output[-3000:])

    assert smsc.drops == 1
    assert smsc.binds == 2, output
    assert len(smsc.per_destination()) == 150
    assert set(smsc.per_destination().values()) == {1}
    finish(campaign)
    statuses = Message.objects.filter(campaign=campaign).values_list(
        "status", flat=True
    )
    assert set(statuses) == {"DELIVERED"}
    assert campaign.status == "COMPLETED"
