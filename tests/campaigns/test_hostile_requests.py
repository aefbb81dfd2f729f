"""Requests a hostile or careless client sends: a clear 4xx, never a 500, and
never another account's data moved."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import sending, tasks
from campaigns.services import campaign_confirm
from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, sign
from messaging.models import DeliveryReport, Message
from messaging.receipts import reports_apply
from tests.campaigns.builders import priced, submitted
from tests.campaigns.conftest import italian_rows, make_list

V1 = "/api/partner-gateway/v1"
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() says yes, int() says no


@pytest.fixture
def sent(account, settings):
    """A campaign of 3 whose messages the simulator accepted, no report yet."""
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    campaign = submitted(account, make_list(account, italian_rows(3)))
    return campaign


def _signed_post(client, path: str, body: bytes, secret: str = ""):
    return client.post(
        path,
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body, secret=secret)},
    )


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/{pk}/messages?cursor=" + SUPERSCRIPT_TWO,
        "/replies?cursor=" + SUPERSCRIPT_TWO,
        "/opt-outs?cursor=" + SUPERSCRIPT_TWO,
    ],
)
def test_a_cursor_of_non_ascii_digits_is_a_400(api, sent, path):
    response = api.get(V1 + path.format(pk=sent.pk))
    assert response.status_code == 400
    assert response.json()["data"] == {"cursor": "Invalid cursor"}


def test_a_list_id_of_non_ascii_digits_is_not_found(api):
    response = api.post(
        f"{V1}/campaigns",
        {"name": "x", "text": "hi", "contactListId": SUPERSCRIPT_TWO},
    )
    assert response.status_code in {400, 404}
    assert response.json()["status"] == "fail"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_route_key_of_non_ascii_digits_is_404(db, client, method):
    for path in ("/delivery-reports/r", "/callbacks/r"):
        response = getattr(client, method)(f"{V1}{path}{SUPERSCRIPT_TWO}")
        assert response.status_code in {404, 405}  # reports are POSTed only


@pytest.mark.parametrize(
    "mapping",
    [{SUPERSCRIPT_TWO: "first_name"}, {"x": "a"}, {"300000": "first_name"}],
)
def test_template_variables_must_be_small_numbers(api, contact_list, mapping):
    response = api.post(
        f"{V1}/campaigns",
        {
            "name": "x",
            "text": "hi",
            "contactListId": contact_list.pk,
            "templateVariables": mapping,
        },
    )
    assert response.status_code == 400
    assert "templateVariables" in response.json()["data"]


@pytest.mark.parametrize(
    ("field", "value"), [("maxPerMinute", 2**40), ("spreadHours", 2**40)]
)
def test_a_pace_beyond_any_route_is_a_400(api, contact_list, field, value):
    body = {"name": "x", "text": "hi", "contactListId": contact_list.pk, field: value}
    response = api.post(f"{V1}/campaigns", body)
    assert response.status_code == 400
    assert field in response.json()["data"]


@pytest.mark.parametrize("rate", ["inf", "NaN", 1e300])
def test_a_route_rate_limit_must_be_a_finite_rate(api, rate):
    response = api.post(
        f"{V1}/gateways",
        {
            "kind": "simulator",
            "channel": "SMS",
            "name": "n",
            "settings": {"rateLimit": rate},
        },
    )
    assert response.status_code == 400
    assert "settings.rateLimit" in response.json()["data"]


def test_another_accounts_route_cannot_move_this_accounts_messages(
    client, sent, other_api
):
    secret = "attacker-secret-1234"
    route = other_api.post(
        f"{V1}/gateways",
        {
            "kind": "simulator",
            "channel": "SMS",
            "name": "Mine",
            "settings": {"signingSecret": secret},
        },
    ).json()
    victim = Message.objects.filter(campaign=sent).first()
    body = json.dumps(
        {
            "reports": [
                {
                    "status": "UNDELIVERED",
                    "reference": str(victim.client_ref),
                    "messageId": victim.provider_id,
                }
            ]
        }
    ).encode()
    response = _signed_post(
        client, f"{V1}/delivery-reports/{route['key']}", body, secret
    )
    assert response.status_code == 202  # genuine for that route, so taken
    reports_apply()
    victim.refresh_from_db()
    assert victim.status == "SUBMITTED"


def test_a_providers_unstorable_text_is_cleaned_and_the_report_counts(client, sent):
    message = Message.objects.filter(campaign=sent).first()
    body = json.dumps(
        {
            "reports": [
                {
                    "status": "UNDELIVERED",
                    "reference": str(message.client_ref),
                    "errorCode": "27\u0000",
                    "errorReason": "Absent\u0000 subscriber " + "x" * 400,
                }
            ]
        }
    ).encode()
    response = _signed_post(client, f"{V1}/delivery-reports/simulator", body)
    assert response.status_code == 202
    reports_apply()
    message.refresh_from_db()
    assert message.status == "UNDELIVERED"
    assert message.error_code == "27"
    assert message.error_reason.startswith("Absent subscriber x")
    assert len(message.error_reason) <= 300


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"reports": [{"foo": 1}]}',
        b'{"reports": [{"status": "DELIVERED", "reference": 12345}]}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_a_signed_but_unreadable_report_is_a_400(db, client, body):
    response = _signed_post(client, f"{V1}/delivery-reports/simulator", body)
    assert response.status_code == 400
    assert "body" in response.json()["data"]
    assert not DeliveryReport.objects.exists()


def test_a_wrong_method_on_the_api_answers_in_the_api_form(api):
    response = api.get("/api/message-server/sms/send")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["status"] == "fail"
    assert "POST" in response["Allow"]


def test_resuming_a_stopped_campaign_is_a_conflict(api, sent):
    assert api.put(f"{V1}/campaigns/{sent.pk}/stop").status_code == 200
    response = api.put(f"{V1}/campaigns/{sent.pk}/resume")
    assert response.status_code == 409
    assert response.json()["data"] == {
        "status": "A stopped campaign cannot be resumed."
    }


def test_not_now_and_no_time_is_refused_rather_than_sent_now(api, account):
    campaign = priced(account, make_list(account, italian_rows(2)))
    response = api.put(
        f"/api/campaigns/{campaign.pk}/confirm", {"sendImmediately": False}
    )
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.status == "COST_CALCULATED"


def test_after_stop_the_uc006_figures_add_up_and_unsent_costs_nothing(
    api, account, settings
):
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    settings.SEND_BATCH_SIZE = 2
    campaign = submitted(account, make_list(account, italian_rows(5)))  # 2 of 5
    api.put(f"{V1}/campaigns/{campaign.pk}/stop")

    body = api.get(f"{V1}/campaigns/stats?campaignId={campaign.pk}").json()
    stats = body["stats"]
    assert stats["total"] == 5
    assert (
        stats["sent"]
        == stats["delivered"] + stats["undelivered"] + (stats["awaitingReport"])
    )
    assert stats["total"] == (
        stats["sent"] + stats["pending"] + stats["skipped"] + stats["canceled"]
    )
    assert stats["canceled"] == 3
    canceled = api.get(f"{V1}/campaigns/{campaign.pk}/messages?status=CANCELED").json()[
        "messages"
    ]
    assert [m["price"] for m in canceled] == [0, 0, 0]
    assert {m["errorCode"] for m in canceled} == {None}


def test_a_paused_campaign_has_no_completion_estimate(api, sent):
    api.put(f"{V1}/campaigns/{sent.pk}/pause")
    body = api.get(f"/api/campaigns/{sent.pk}/stats").json()
    assert body["status"] == "PAUSED"
    assert body["estimatedCompletionTime"] is None


def test_one_broken_campaign_does_not_hold_back_the_tick(account, monkeypatch):
    later = timezone.now() + timedelta(hours=1)
    broken, fine = (
        priced(account, make_list(account, italian_rows(2), name=name))
        for name in ("Broken", "Fine")
    )
    for campaign in (broken, fine):
        campaign_confirm(account=account, pk=campaign.pk, scheduled_at=later)
    real = sending.campaign_start

    def start(*, campaign_id: int) -> bool:
        if campaign_id == broken.pk:
            raise ValueError("a campaign no code path foresaw")
        return real(campaign_id=campaign_id)

    monkeypatch.setattr(sending, "campaign_start", start)
    monkeypatch.setattr(sending, "lanes_open", lambda campaign_id: None)
    monkeypatch.setattr(sending, "campaigns_due", lambda: sorted([broken.pk, fine.pk]))
    tasks.tick_task()
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert fine.status == "SENDING"
    assert broken.status == "SCHEDULED"


def test_unauthenticated_clients_get_json_everywhere_under_the_api():
    response = Client().delete(f"{V1}/campaigns/stats")
    assert response.status_code in {401, 405}
    assert response["Content-Type"].startswith("application/json")
