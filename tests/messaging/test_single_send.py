"""The guide's transactional endpoint: one SMS now, charged once, idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import LedgerEntry
from contacts.models import BlacklistEntry, OptOut
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import FINAL, Message, MessageTally
from messaging.receipts import reports_apply
from messaging.single import single_submit, singles_stalled

SEND = "/api/message-server/sms/send"
# The guide's curl, byte for byte: no Content-Type header, so curl's -d sends
# "application/x-www-form-urlencoded" with this JSON as the body.
GUIDE_BODY = """{
"phoneNumber": "+393901234567",
"message": "Order confirmed. Tracking: https://example.com/track/12345"
}"""


@pytest.fixture(autouse=True)
def _instant_reports(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0


def guide_curl(key: str, body: str = GUIDE_BODY, **headers):
    return Client().post(
        SEND,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Api-Key": key, **headers},
    )


def worker_and_reports(message_id: int) -> None:
    """What the queued task, then the simulator and the report beat, do."""
    single_submit(message_id=message_id)
    while simulator_reports_send() or reports_apply():
        pass


@pytest.mark.smoke
def test_the_guides_curl_is_accepted_charged_once_and_reaches_a_final_status(
    account, api
):
    response = guide_curl(api.key)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {"id": body["id"], "status": "QUEUED", "parts": 1, "cost": 0.04}
    message = Message.objects.get(pk=body["id"])
    assert message.campaign_id is None
    assert message.phone == "+393901234567"

    worker_and_reports(message.pk)
    single_submit(message_id=message.pk)  # a duplicated task changes nothing

    status = api.get(f"/api/message-server/messages/{message.pk}").json()
    assert status["status"] in FINAL
    assert status["status"] == Message.objects.get(pk=message.pk).status
    assert status["cost"] == 0.04
    reference = f"single:{message.client_ref.hex}"
    ledger = list(
        LedgerEntry.objects.filter(reference=reference)
        .order_by("id")
        .values_list("kind", "amount")
    )
    assert ledger == [
        ("reservation", Decimal("0.0400")),
        ("capture", Decimal("0.0400")),
    ]
    account.refresh_from_db()
    assert account.balance == Decimal("1499.96")
    assert account.reserved == 0
    assert not MessageTally.objects.exists()  # no campaign, no tallies


def test_a_repeated_idempotency_key_answers_the_first_time_and_charges_once(api):
    first = guide_curl(api.key, **{"Idempotency-Key": "order-12345"})
    again = guide_curl(api.key, **{"Idempotency-Key": "order-12345"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="reservation").count() == 1

    other = guide_curl(
        api.key,
        '{"phoneNumber": "+393901234567", "message": "Another text"}',
        **{"Idempotency-Key": "order-12345"},
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["data"]
    assert Message.objects.count() == 1


def test_keys_are_per_account(api, other_api):
    mine = guide_curl(api.key, **{"Idempotency-Key": "k-1"})
    theirs = guide_curl(other_api.key, **{"Idempotency-Key": "k-1"})
    assert mine.json()["id"] != theirs.json()["id"]
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phoneNumber": "12ab", "message": "Ciao"}, "phoneNumber"),
        ({"phoneNumber": "+3933", "message": "Ciao"}, "phoneNumber"),
        ({"phoneNumber": "+393901234567", "message": "  "}, "message"),
        ({"phoneNumber": "+393901234567", "message": "x" * 1600}, "message"),
        ({"phoneNumber": "+393901234567", "message": "Ciao", "sender": "@@"}, "sender"),
        (  # 16 characters: one more than the column holds
            {
                "phoneNumber": "+393901234567",
                "message": "Ciao",
                "sender": "+" + "1" * 15,
            },
            "sender",
        ),
        ({"message": "Ciao"}, "phoneNumber"),
    ],
)
def test_a_bad_request_is_refused_in_the_seeds_form(api, body, field):
    response = api.post(SEND, body)
    assert response.status_code == 400
    assert response.json()["status"] == "fail"
    assert list(response.json()["data"]) == [field]
    assert not Message.objects.exists()
    assert not LedgerEntry.objects.filter(kind="reservation").exists()


def test_opted_out_and_blacklisted_numbers_are_refused(account, api):
    OptOut.objects.create(account=account, phone="+393901234567")
    BlacklistEntry.objects.create(phone="+393331112222")
    for phone in ("+393901234567", "+393331112222"):
        response = api.post(SEND, {"phoneNumber": phone, "message": "Ciao"})
        assert response.status_code == 400
        assert "may not be messaged" in response.json()["data"]["phoneNumber"]
    assert not Message.objects.exists()


def test_too_little_credit_is_a_402_and_nothing_is_queued(other_account, other_api):
    other_account.balance = Decimal("0.01")
    other_account.save(update_fields=["balance"])
    response = guide_curl(other_api.key)
    assert response.status_code == 402
    assert "credit" in response.json()["data"]
    assert not Message.objects.exists()


def test_a_refused_message_gives_its_price_back(account, api, settings):
    settings.SIMULATOR_REJECT_RATE = 1.0
    body = guide_curl(api.key).json()
    worker_and_reports(body["id"])
    assert api.get(f"/api/message-server/messages/{body['id']}").json()["status"] == (
        "REJECTED"
    )
    kinds = list(
        LedgerEntry.objects.filter(account=account).values_list("kind", flat=True)
    )
    assert kinds.count("reservation") == 1
    assert kinds.count("release") == 1
    account.refresh_from_db()
    assert account.balance == Decimal("1500.00")


def test_a_message_whose_task_was_lost_is_found_by_beat(api):
    body = guide_curl(api.key).json()
    Message.objects.filter(pk=body["id"]).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert singles_stalled() == [body["id"]]


def test_another_account_gets_404_for_a_message(api, other_api):
    body = guide_curl(api.key).json()
    response = other_api.get(f"/api/message-server/messages/{body['id']}")
    assert response.status_code == 404
    assert response.json()["status"] == "fail"
