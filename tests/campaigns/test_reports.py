"""Delivery reports: signed, idempotent, out of order, early, counted once."""

from __future__ import annotations

import json
import time

import pytest

from campaigns import sending
from campaigns.services import campaign_confirm
from campaigns.stats import campaign_stats
from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, sign
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import FINAL, Message
from messaging.receipts import reports_apply
from messaging.single import single_send, single_submit
from messaging.tallies import failures_for, tallies_for
from tests.campaigns.builders import priced, submitted
from tests.campaigns.conftest import italian_rows, make_list

URL = "/api/partner-gateway/v1/delivery-reports/simulator"


@pytest.fixture
def sent(account, settings):
    """A campaign of 5 whose messages the simulator accepted (no report yet)."""
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    campaign = submitted(account, make_list(account, italian_rows(5)))
    return campaign


def _post(client, reports: list[dict], *, timestamp: int | None = None, body=None):
    body = body or json.dumps({"reports": reports}).encode()
    return client.post(
        URL,
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body, timestamp=timestamp)},
    )


def _report(message: Message, status: str) -> dict:
    return {
        "messageId": message.provider_id.upper(),  # another case: still matched
        "reference": "",
        "status": status,
    }


def test_the_same_report_three_times_counts_once(client, sent):
    message = Message.objects.filter(campaign=sent).first()
    for _ in range(3):
        assert _post(client, [_report(message, "DELIVERED")]).status_code == 202
    reports_apply()
    stats = campaign_stats(sent)
    assert stats.delivered == 1
    assert stats.total == 5
    message.refresh_from_db()
    assert message.status == "DELIVERED"


def test_reports_in_reverse_order_never_regress(client, sent):
    message = Message.objects.filter(campaign=sent).first()
    _post(client, [_report(message, "DELIVERED")])
    reports_apply()
    _post(client, [_report(message, "SENT"), _report(message, "UNDELIVERED")])
    reports_apply()
    message.refresh_from_db()
    assert message.status == "DELIVERED"
    assert campaign_stats(sent).delivered == 1
    assert campaign_stats(sent).undelivered == 0


def test_a_report_before_its_submission_waits_and_is_applied(client, account):
    campaign = priced(account, make_list(account, italian_rows(2)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)
    message = Message.objects.filter(campaign=campaign).first()
    early = {"reference": str(message.client_ref), "status": "DELIVERED"}
    assert _post(client, [early]).status_code == 202
    reports_apply()
    message.refresh_from_db()
    assert message.status == "DELIVERED"  # matched by our reference while queued
    sending.campaign_start(campaign_id=campaign.pk)
    sending.campaign_send_batch(campaign_id=campaign.pk)
    message.refresh_from_db()
    assert message.status == "DELIVERED"  # the submission did not undo it


def test_forged_and_stale_reports_are_refused(client, sent):
    message = Message.objects.filter(campaign=sent).first()
    body = json.dumps({"reports": [_report(message, "DELIVERED")]}).encode()
    forged = client.post(
        URL,
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: "t=1,v1=x"},
    )
    assert forged.status_code == 401
    stale = _post(client, [], timestamp=int(time.time()) - 3600, body=body)
    assert stale.status_code == 401
    assert stale.json()["status"] == "fail"
    reports_apply()
    message.refresh_from_db()
    assert message.status == "SUBMITTED"


def test_an_unknown_route_is_404(client):
    response = client.post(
        "/api/delivery-reports/nope", b"{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_reports_of_campaign_and_single_messages_apply_in_one_batch(account, settings):
    """A transactional message has no campaign: its report rides in the same
    batch as a campaign's and both are applied (None and an id do not sort)."""
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 0
    settings.SIMULATOR_DELIVERED_RATE = 0.5
    settings.SIMULATOR_UNDELIVERED_RATE = 0.5
    settings.SIMULATOR_EXPIRED_RATE = 0
    answer, _replay = single_send(
        account=account, phone_number="+393901234567", text="Ordine confermato"
    )
    single_submit(message_id=answer["id"])
    campaign = submitted(account, make_list(account, italian_rows(8)))

    assert simulator_reports_send() == 9
    reports_apply()

    assert Message.objects.get(pk=answer["id"]).status in FINAL
    counts = tallies_for(campaign.pk)
    assert counts.get("DELIVERED", 0) + counts.get("UNDELIVERED", 0) == 8
    assert counts == {
        "QUEUED": 0,
        "SUBMITTED": 0,
        **{
            status: Message.objects.filter(campaign=campaign, status=status).count()
            for status in ("DELIVERED", "UNDELIVERED")
        },
    }
    undelivered = counts.get("UNDELIVERED", 0)
    assert sum(row["n"] for row in failures_for(campaign.pk)) == undelivered
