"""A failure report and the fallback wait on the same messages at once: one SMS each."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.services import account_create
from campaigns import sending
from campaigns.services import campaign_confirm
from messaging.callbacks import reports_receive
from messaging.fallback import fallbacks_overdue
from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, sign
from messaging.models import Message, MessageTally
from messaging.receipts import reports_apply
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_report_and_the_wait_racing_make_one_sms_each(settings):
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    account = account_create(name="Race", credit=Decimal("100.00"))
    campaign = priced(
        account,
        make_list(account, italian_rows(40)),
        channel="WHATSAPP",
        template_id="spring_sale_v1",
        fallback=True,
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 40
    whatsapp = Message.objects.filter(campaign=campaign, channel="WHATSAPP")
    whatsapp.update(submitted_at=timezone.now() - timedelta(hours=1))
    body = json.dumps(
        {
            "reports": [
                {"messageId": provider_id, "status": "UNDELIVERED"}
                for provider_id in whatsapp.values_list("provider_id", flat=True)
            ]
        }
    ).encode()
    reports_receive(
        gateway_key="simulator", body=body, headers={SIGNATURE_HEADER: sign(body)}
    )
    barrier = threading.Barrier(2)

    def run(work) -> None:
        barrier.wait()
        try:
            work()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=[reports_apply]),
        threading.Thread(
            target=run,
            args=[
                lambda: fallbacks_overdue(
                    campaign_id=campaign.pk, before=timezone.now()
                )
            ],
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sms = Message.objects.filter(campaign=campaign, channel="SMS")
    assert sms.count() == 40
    assert sms.values("phone").distinct().count() == 40
    tally = MessageTally.objects.get(campaign=campaign, channel="SMS", status="QUEUED")
    assert tally.count == 40
    assert not whatsapp.filter(fallback_at__isnull=True).exists()
