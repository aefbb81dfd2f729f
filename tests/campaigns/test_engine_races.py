"""Races of the sending engine: slow routes, stop, early reports, lock order.

Each test sets up the interleaving that once lost or doubled a message, stuck a
campaign or deadlocked two workers, and checks what the user would see.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Account
from accounts.services import account_create
from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_confirm
from messaging.gateways import kinds
from messaging.gateways.base import GatewayUnavailable
from messaging.gateways.simulator.gateway import SimulatorGateway
from messaging.models import Message
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    settings.SEND_BATCH_SIZE = 10


def _started(account, n):
    campaign = priced(account, make_list(account, italian_rows(n)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    return campaign


def _concurrently(*works) -> list[Exception]:
    """Run each of `works` on a thread of its own (its own connection); the
    exceptions they raised."""
    errors: list[Exception] = []

    def run(work) -> None:
        try:
            work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[work]) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_a_batch_handed_back_after_stop_is_canceled_and_the_campaign_completes(
    account, monkeypatch
):
    """The user stops the campaign while a batch is at the route and the route
    then fails (timeout, 5xx, 429): the batch handed back is canceled too, the
    campaign completes and its credit is released."""
    campaign = _started(account, 10)
    stopper = {"done": False}

    class FailsAfterStop(SimulatorGateway):
        def submit(self, messages):
            if not stopper["done"]:
                stopper["done"] = True
                sending.campaign_stop(account=account, pk=campaign.pk)
            raise GatewayUnavailable("route timed out")

    monkeypatch.setitem(kinds.KINDS, "simulator", FailsAfterStop)
    with pytest.raises(GatewayUnavailable):
        sending.campaign_send_batch(campaign_id=campaign.pk)

    # What Celery's retries and beat do, for ever:
    for _ in range(3):
        assert sending.campaign_send_batch(campaign_id=campaign.pk) == 0
        for pk in sending.campaigns_finishing():
            sending.campaign_try_complete(campaign_id=pk)
    campaign.refresh_from_db()
    queued = Message.objects.filter(campaign=campaign, status="QUEUED").count()
    assert campaign.status == "COMPLETED", (
        f"stuck in {campaign.status} with {queued} QUEUED messages and "
        f"{campaign.reserved_amount} still reserved "
        f"(account reserved {Account.objects.get(pk=account.pk).reserved})"
    )


@pytest.mark.django_db(transaction=True)
def test_a_batch_slower_than_the_claim_timeout_is_not_sent_twice(settings, monkeypatch):
    """A submission that outlasts SEND_CLAIM_TIMEOUT (500 WhatsApp requests at
    120+ ms) keeps its claim: another lane does not take it over and hand the
    same messages to a route without an idempotency key again."""
    settings.SEND_CLAIM_TIMEOUT = 3  # stands for 60 s against a 100+ s batch
    account = account_create(name="Slow", credit=Decimal("100.00"))
    campaign = _started(account, 10)
    submitted: Counter = Counter()
    lock = threading.Lock()

    class SlowProvider(SimulatorGateway):
        def submit(self, messages):
            with lock:
                submitted.update(m.client_ref for m in messages)
            time.sleep(4.5)  # a provider answering slowly, message after message
            return super().submit(messages)

    monkeypatch.setitem(kinds.KINDS, "simulator", SlowProvider)

    def lane(delay: float) -> None:
        time.sleep(delay)
        sending.campaign_send_batch(campaign_id=campaign.pk)

    _concurrently(lambda: lane(0), lambda: lane(3.5))
    twice = [ref for ref, n in submitted.items() if n > 1]
    assert not twice, f"{len(twice)} of 10 messages handed to the provider twice"


WHATSAPP = {
    "channel": "WHATSAPP",
    "template_id": "spring_sale_v1",
    "fallback": True,
    "fallback_text": "Ciao {{first_name}}, saldi di primavera: -30% con SPRING.",
}


@pytest.mark.django_db(transaction=True)
def test_a_whatsapp_batch_and_a_fallback_sms_batch_record_together(monkeypatch):
    """A WhatsApp batch (its not-capable messages fall back to SMS in the same
    transaction) and a batch of fallback SMS of the same campaign are recorded at
    once: both commit, neither is a deadlock's victim (the tallies are locked in
    one sorted pass)."""
    from django.db.models import Q

    from messaging import dispatch
    from messaging import fallback as fallback_module
    from messaging.gateways.base import NOT_CAPABLE, SubmitResult

    account = account_create(name="Deadlock", credit=Decimal("100.00"))
    campaign = priced(account, make_list(account, italian_rows(30)), **WHATSAPP)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    wa = list(
        Message.objects.filter(campaign=campaign, channel="WHATSAPP")
        .order_by("id")
        .values_list("id", flat=True)
    )
    # Earlier failures already queued a few SMS (the campaign's steady state).
    fallback_module.fallbacks_create(ids=wa[-5:])
    sms_claim = dispatch.messages_claim(
        campaign_id=campaign.pk, size=5, gateway="simulator", only=Q(channel="SMS")
    )
    wa_claim = dispatch.messages_claim(
        campaign_id=campaign.pk,
        size=10,
        gateway="simulator",
        only=Q(channel="WHATSAPP"),
    )
    sms_batch = dispatch.claimed_batch(sms_claim)
    wa_batch = dispatch.claimed_batch(wa_claim)
    assert len(sms_batch) == 5
    assert len(wa_batch) == 10
    wa_results = [
        SubmitResult(m.client_ref, accepted=True, provider_id=f"wa-{m.id}")
        if i % 2
        else SubmitResult(m.client_ref, accepted=False, error_code=NOT_CAPABLE)
        for i, m in enumerate(wa_batch)
    ]
    sms_results = [
        SubmitResult(m.client_ref, accepted=True, provider_id=f"sms-{m.id}")
        for m in sms_batch
    ]

    at_fallback = threading.Event()
    real = dispatch.fallbacks_queue

    def slow_fallbacks_queue(*, ids):
        at_fallback.set()
        time.sleep(0.7)  # lane 2 gets to its tallies meanwhile
        return real(ids=ids)

    monkeypatch.setattr(dispatch, "fallbacks_queue", slow_fallbacks_queue)

    def whatsapp_lane() -> None:
        dispatch.messages_record(
            claim=wa_claim, batch=wa_batch, results=wa_results, gateway="simulator"
        )

    def sms_lane() -> None:
        at_fallback.wait(5)
        dispatch.messages_record(
            claim=sms_claim, batch=sms_batch, results=sms_results, gateway="simulator"
        )

    errors = _concurrently(whatsapp_lane, sms_lane)
    assert not errors, repr(errors)


def test_an_interim_report_ahead_of_the_answer_waits_and_the_message_expires(
    account, monkeypatch, settings
):
    """The provider's "sent" callback arrives before its submit answer is
    recorded. It waits for the answer, so the message gets its provider id and
    sending time; when no final report ever comes it expires and the campaign
    completes."""
    import json

    from messaging.callbacks import reports_receive
    from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, sign
    from messaging.receipts import reports_apply

    campaign = _started(account, 3)

    class CallsBackEarly(SimulatorGateway):
        def submit(self, messages):
            first = messages[0]
            body = json.dumps(
                {"reports": [{"reference": str(first.client_ref), "status": "SENT"}]}
            ).encode()
            reports_receive(
                gateway_key="simulator",
                body=body,
                headers={SIGNATURE_HEADER: sign(body)},
            )
            reports_apply()  # the report worker, meanwhile
            return super().submit(messages)

    monkeypatch.setitem(kinds.KINDS, "simulator", CallsBackEarly)
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 3
    settings.REPORT_TIMEOUT = 0  # 48 hours later, no final report came
    sending.campaign_try_complete(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    rows = list(
        Message.objects.filter(campaign=campaign).values_list(
            "status", "submitted_at", "provider_id"
        )
    )
    assert campaign.status == "COMPLETED", (campaign.status, rows)


@pytest.mark.django_db(transaction=True)
def test_a_refusal_never_overwrites_a_report_applied_meanwhile(settings):
    """A retried submission is refused (a duplicate reference) while the first
    attempt's DELIVERED report is being applied: the message stays DELIVERED and
    the tallies match the messages."""
    from django.db import transaction

    from messaging import dispatch
    from messaging.gateways.base import Report, SubmitResult
    from messaging.models import MessageTally
    from messaging.receipts import reports_apply, reports_store

    account = account_create(name="Drift", credit=Decimal("100.00"))
    campaign = _started(account, 3)
    claim = dispatch.messages_claim(
        campaign_id=campaign.pk, size=3, gateway="simulator"
    )
    batch = dispatch.claimed_batch(claim)
    target = batch[0]
    # The first attempt's provider took it (its answer timed out) and delivered it.
    reports_store(
        gateway_key="simulator",
        reports=[Report(status="DELIVERED", client_ref=target.client_ref)],
    )
    applied = threading.Event()

    def report_worker():
        try:
            with transaction.atomic():
                reports_apply()
                applied.set()
                time.sleep(0.8)  # the rest of a 5,000-report batch
        finally:
            connection.close()

    worker = threading.Thread(target=report_worker)
    worker.start()
    applied.wait(5)
    # The retry's answer: the provider refuses the reference it already has.
    results = [
        SubmitResult(
            m.client_ref,
            accepted=False,
            permanent=True,
            error_code="DUPLICATE",
            error_reason="duplicate reference",
        )
        if m is target
        else SubmitResult(m.client_ref, accepted=True, provider_id=f"p{m.id}")
        for m in batch
    ]
    dispatch.messages_record(
        claim=claim, batch=batch, results=results, gateway="simulator"
    )
    worker.join()

    real = Counter(
        Message.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
    tallied = {
        s: n
        for s, n in MessageTally.objects.filter(campaign=campaign).values_list(
            "status", "count"
        )
        if n
    }
    status = Message.objects.get(id=target.id).status
    settings.REPORT_TIMEOUT = 0
    assert (status, tallied) == ("DELIVERED", dict(real))
    assert sending.campaign_try_complete(campaign_id=campaign.pk)  # nothing stuck


@pytest.mark.django_db(transaction=True)
def test_cancel_while_a_grown_list_is_frozen_succeeds(monkeypatch):
    """Freezing a list that grew since the quote locks the campaign, then the
    account (the extra reservation); canceling locks the account, then the
    campaign. The cancel, if PostgreSQL picks it as the deadlock's victim, is run
    again: the user's click succeeds and the credit comes back."""
    from campaigns.services import campaign_cancel

    account = account_create(name="Order", credit=Decimal("100.00"))
    contact_list = make_list(account, italian_rows(5))
    campaign = priced(account, contact_list)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    # A contact added after the quote (with an id the freeze still includes).
    Campaign.objects.filter(pk=campaign.pk).update(last_contact_id=None)
    contact_list.contacts.create(phone="+393339999999", raw_phone="x", status="valid")
    preparing = threading.Event()
    real = sending.credit_reserve

    def slow_reserve(**kwargs):
        preparing.set()
        time.sleep(0.7)  # the cancel takes the account lock meanwhile
        return real(**kwargs)

    monkeypatch.setattr(sending, "credit_reserve", slow_reserve)

    def cancel() -> None:
        preparing.wait(5)
        campaign_cancel(account=account, pk=campaign.pk)

    errors = _concurrently(
        lambda: sending.campaign_prepare(campaign_id=campaign.pk), cancel
    )
    assert not errors, repr(errors)
    campaign.refresh_from_db()
    assert campaign.status == "CANCELED"
    assert Account.objects.get(pk=account.pk).reserved == 0
