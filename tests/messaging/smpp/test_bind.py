"""The SMPP bind against a real SMPP peer on loopback: parts, throttling, replies."""

from __future__ import annotations

from collections import Counter

import pytest

from messaging.gateways.smpp.codec import gsm_encode
from messaging.models import DeliveryReport, Message
from messaging.receipts import reports_apply
from tests.messaging.smpp.conftest import queue_single, route_settings

pytestmark = pytest.mark.django_db(transaction=True)

LONG_GSM = (
    "Saldi di primavera: -30% su tutto, {codice} e [offerte] € fino a domenica! " * 4
)
LONG_UCS2 = "Offerta 🎉 “speciale” per te, solo oggi — non perderla! " * 3


def test_concatenated_gsm7_and_ucs2_arrive_whole_with_their_data_coding(
    account, smsc, run_bind
):
    gsm = queue_single(account, "+393330000001", LONG_GSM)
    ucs2 = queue_single(account, "+393330000002", LONG_UCS2)
    assert (gsm.encoding, ucs2.encoding) == ("GSM-7", "UCS-2")
    assert gsm.parts > 1
    assert ucs2.parts > 1
    bind = run_bind(route_settings(smsc))
    assert smsc.wait_for(lambda: len(smsc.messages) == 2)
    bind.stop()

    got = {m.destination: m for m in smsc.messages}
    assert got["393330000001"].text == LONG_GSM
    assert got["393330000001"].data_coding == 0
    assert got["393330000001"].parts == gsm.parts
    assert got["393330000002"].text == LONG_UCS2
    assert got["393330000002"].data_coding == 8
    assert got["393330000002"].parts == ucs2.parts
    # Every part carries the 8-bit concatenation header; only the last asks
    # for a receipt, so one receipt reports on the whole message.
    gsm_parts = [s for s in smsc.submits if s.destination == "393330000001"]
    assert all(s.esm_class == 0x40 for s in gsm_parts)
    assert [s.short_message[:3] for s in gsm_parts] == [b"\x05\x00\x03"] * gsm.parts
    assert [s.registered_delivery for s in gsm_parts] == [0] * (gsm.parts - 1) + [1]
    for message in (gsm, ucs2):
        message.refresh_from_db()
        assert message.status == "SUBMITTED"


def test_receipts_in_another_base_mark_the_messages_delivered(account, smsc, run_bind):
    messages = [
        queue_single(account, f"+39333000{i:04d}", f"Ciao {i}") for i in range(5)
    ]
    bind = run_bind(route_settings(smsc))
    assert smsc.wait_for(
        lambda: DeliveryReport.objects.filter(gateway="r-smpp").count() == 5
    )
    bind.stop()
    while reports_apply():
        pass
    submitted = {s.destination: s.message_id for s in smsc.submits}
    for message in messages:
        message.refresh_from_db()
        assert message.status == "DELIVERED"
        # The SMSC answered "F4241" (hex); its receipt said "1000001".
        assert message.provider_id == str(submitted[message.phone.lstrip("+")])


def test_throttling_pauses_the_bind_and_loses_nothing(account, smsc, run_bind):
    smsc.throttle_first = 3
    for i in range(6):
        queue_single(account, f"+39333100{i:04d}", f"Messaggio {i}")
    # One submit at a time, so each answer is seen before the next one goes.
    bind = run_bind(route_settings(smsc, throttleBackoffSeconds=0.3, window=1))
    assert smsc.wait_for(lambda: len(smsc.messages) == 6)
    bind.stop()

    assert len(smsc.throttled) == 3
    # Each refusal paused the bind, the pause doubling (0.3, 0.6, 1.2 s), and
    # the first acceptance reset it.
    first, second, third = smsc.throttled
    assert second - first >= 0.3
    assert third - second >= 0.6
    assert smsc.accepted_at[0] - third >= 1.2
    assert smsc.accepted_at[-1] - smsc.accepted_at[0] < 1.0
    assert set(smsc.per_destination().values()) == {1}
    assert set(Message.objects.values_list("status", flat=True)) == {"SUBMITTED"}


def test_a_message_refused_for_good_is_rejected_with_the_esme_code(
    account, smsc, run_bind
):
    smsc.refuse_destination = "393339999999"
    refused = queue_single(account, "+393339999999", "Ciao")
    fine = queue_single(account, "+393330000001", "Ciao")
    bind = run_bind(route_settings(smsc))
    assert smsc.wait_for(lambda: len(smsc.messages) == 1)
    assert smsc.wait_for(
        lambda: not Message.objects.filter(status="QUEUED").exists(), timeout=5
    )
    bind.stop()
    refused.refresh_from_db()
    fine.refresh_from_db()
    assert (refused.status, refused.error_code) == ("REJECTED", "ESME_RINVDSTADR")
    assert fine.status == "SUBMITTED"


def test_a_deliver_sm_that_is_not_a_receipt_is_an_inbound_message(
    account, smsc, run_bind
):
    bind = run_bind(route_settings(smsc))
    assert smsc.wait_for(lambda: smsc.binds == 1)
    smsc.send_inbound("393331234567", "Megafono", gsm_encode("STOP"))
    # A reply in two concatenated UCS-2 parts comes out as one message.
    for seq, chunk in ((1, "Non più, "), (2, "grazie 🙏")):
        udh = bytes((5, 0, 3, 42, 2, seq))
        smsc.send_inbound(
            "393337654321",
            "Megafono",
            udh + chunk.encode("utf-16-be"),
            esm_class=0x40,
            coding=8,
        )
    assert smsc.wait_for(lambda: len(bind.inbound) == 2)
    bind.stop()
    assert [(m.phone, m.text, m.to) for m in bind.inbound] == [
        ("+393331234567", "STOP", "Megafono"),
        ("+393337654321", "Non più, grazie 🙏", "Megafono"),
    ]
    assert not DeliveryReport.objects.exists()


def test_sigterm_hands_back_what_was_not_sent(account, smsc, run_bind):
    smsc.throttle_first = 1000  # nothing gets through
    message = queue_single(account, "+393330000001", "Ciao")
    bind = run_bind(route_settings(smsc, throttleBackoffSeconds=0.2))
    assert smsc.wait_for(lambda: len(smsc.throttled) >= 1)
    bind.stop()
    message.refresh_from_db()
    assert (message.status, message.claim_token) == ("QUEUED", None)
    assert smsc.unbinds == 1


def test_after_a_dropped_link_only_the_unanswered_parts_go_again(
    account, smsc, run_bind
):
    smsc.drop_after = 7  # mid-message: some parts answered, one lost unanswered
    messages = [
        queue_single(account, f"+39333200{i:04d}", f"{i} " + LONG_GSM) for i in range(5)
    ]
    bind = run_bind(route_settings(smsc, window=4))
    assert smsc.wait_for(lambda: len(smsc.messages) == 5, timeout=20)
    bind.stop()

    assert (smsc.drops, smsc.binds) == (1, 2)
    sent = Counter(s.destination for s in smsc.submits)
    assert sent == {m.phone.lstrip("+"): m.parts for m in messages}
    assert set(smsc.per_destination().values()) == {1}


def test_a_reset_link_may_repeat_at_most_a_window_of_accepted_parts(
    account, smsc, run_bind
):
    """The honest edge: answers destroyed in flight cannot be told from submits
    the SMSC never got, so those are sent again (at least once, never lost)."""
    smsc.drop_after, smsc.drop_mode = 20, "reset"
    for i in range(60):
        queue_single(account, f"+39333300{i:04d}", f"Messaggio {i}")
    bind = run_bind(route_settings(smsc, window=8))
    assert smsc.wait_for(lambda: len(smsc.per_destination()) == 60, timeout=20)
    assert smsc.wait_for(
        lambda: not Message.objects.filter(status="QUEUED").exists(), timeout=5
    )
    bind.stop()
    assert smsc.binds == 2
    repeated = sum(smsc.per_destination().values()) - 60
    assert 0 <= repeated <= 8


def test_an_idle_bind_keeps_its_link_alive_with_enquire_link(account, smsc, run_bind):
    bind = run_bind(route_settings(smsc, enquireLinkSeconds=0.2))
    assert smsc.wait_for(lambda: smsc.enquire_links >= 3, timeout=5)
    bind.stop()
    assert smsc.binds == 1  # answered each time: no reconnect
