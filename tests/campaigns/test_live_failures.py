"""The live page's failures by reason: each failed message counted once, by why."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from messaging.dispatch import messages_expire
from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, sign
from messaging.models import FAILURES, Message
from messaging.receipts import reports_apply
from messaging.tallies import failures_for
from tests.campaigns.builders import submitted
from tests.campaigns.conftest import italian_rows, make_list

URL = "/api/partner-gateway/v1/delivery-reports/simulator"


@pytest.fixture
def sent(account, settings):
    """A campaign of 6 whose messages the simulator accepted (no report yet)."""
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    campaign = submitted(account, make_list(account, italian_rows(6)))
    return campaign


def _report(client, message: Message, status: str, code: str = "", reason: str = ""):
    body = json.dumps(
        {
            "reports": [
                {
                    "messageId": message.provider_id,
                    "reference": str(message.client_ref),
                    "status": status,
                    "errorCode": code,
                    "errorReason": reason,
                }
            ]
        }
    ).encode()
    response = client.post(
        URL,
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body)},
    )
    assert response.status_code == 202, response.content


def _truth(campaign) -> Counter:
    """What grouping the failed messages themselves says."""
    rows = (
        Message.objects.filter(campaign=campaign, status__in=FAILURES)
        .values_list("status", "error_code", "error_reason")
        .annotate(n=Count("id"))
    )
    return Counter({(s, c, r): n for s, c, r, n in rows})


def _listed(campaign) -> Counter:
    return Counter(
        {
            (row["status"], row["error_code"], row["error_reason"]): row["n"]
            for row in failures_for(campaign.pk)
        }
    )


def test_failures_are_listed_by_reason_each_message_once(client, sent, user):
    first, second, third, fourth, _fifth, _sixth = Message.objects.filter(
        campaign=sent
    ).order_by("id")
    absent = ("UNDELIVERED", "27", "Absent subscriber")
    for _ in range(3):  # the same report three times
        _report(client, first, *absent)
    _report(client, second, *absent)
    _report(client, third, "UNDELIVERED", "34", "Handset memory full")
    _report(client, fourth, "DELIVERED")
    reports_apply()
    _report(client, fourth, *absent)  # too late: delivered stays delivered
    reports_apply()
    # The rest never get a report and expire.
    later = timezone.now() + timedelta(seconds=1)
    assert messages_expire(campaign_id=sent.pk, before=later) == 2

    assert _listed(sent) == _truth(sent)
    assert _listed(sent) == {
        absent: 2,
        ("UNDELIVERED", "34", "Handset memory full"): 1,
        ("EXPIRED", "NO_REPORT", "No delivery report in time"): 2,
    }
    client.force_login(user)
    panel = client.get(f"/campaigns/{sent.pk}/live/").content.decode()
    assert "Failures by reason" in panel
    assert "Absent subscriber" in panel
    assert "Handset memory full" in panel
    assert "No delivery report in time" in panel


def test_refusals_at_submission_are_listed_with_the_routes_reason(account, settings):
    settings.SIMULATOR_REJECT_RATE = 1.0
    campaign = submitted(account, make_list(account, italian_rows(4)))

    assert _listed(campaign) == _truth(campaign)
    assert _listed(campaign) == {
        ("REJECTED", "REJECTED", "Rejected by the simulated route"): 4
    }


def test_a_campaign_without_failures_lists_none(client_logged, sent):
    for message in Message.objects.filter(campaign=sent):
        _report(client_logged, message, "DELIVERED")
    reports_apply()
    assert failures_for(sent.pk) == []
    panel = client_logged.get(f"/campaigns/{sent.pk}/live/").content.decode()
    assert "Failures by reason" not in panel


def test_the_page_is_drawn_again_once_the_status_moved(client_logged, sent):
    """The badge, buttons and history sit outside the polled panel: when the
    status is no longer the one the page was drawn with, htmx reloads it."""
    url = f"/campaigns/{sent.pk}/live/"
    same = client_logged.get(f"{url}?shown=SENDING", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in same
    client_logged.post(f"/campaigns/{sent.pk}/pause/")
    moved = client_logged.get(f"{url}?shown=SENDING", headers={"HX-Request": "true"})
    assert moved["HX-Refresh"] == "true"
    page = client_logged.get(f"/campaigns/{sent.pk}/").content.decode()
    assert "?shown=PAUSED" in page
