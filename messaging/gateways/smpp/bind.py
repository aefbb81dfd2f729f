"""One SMPP bind: a transceiver session that claims, submits and listens.

A single thread does everything, because smpplib is synchronous and not
thread-safe (its issue #187): each turn of the loop claims queued messages for
the route while the window has room (`dispatch.messages_claim_route`), sends
their parts as `submit_sm` within the window and the throughput, reads every
PDU that arrived (`submit_sm_resp`, receipts and replies as `deliver_sm`,
`enquire_link`), records what finished, and keeps the link alive.

What happens to a message in flight:

* `submit_sm_resp` OK for every part: SUBMITTED with the last part's id (only
  the last part asks for a receipt, so one receipt reports on the message).
* A part refused with ESME_RTHROTTLED or ESME_RMSGQFUL is sent again after a
  pause that doubles while the SMSC keeps refusing: the whole bind slows down.
* A part refused with an SMSC-side error (ESME_RSYSERR, ...) is tried again a
  few times, then the message is FAILED; any other refusal makes it REJECTED,
  with the ESME code name as its error code.
* The connection drops: the bind reconnects with a doubling backoff and keeps
  its messages; parts already answered are not sent again, parts awaiting an
  answer are. An SMSC that accepted such a part but whose answer was lost on
  the way receives it twice: SMPP has no idempotency key, so delivery is
  at least once for at most `window` parts at the moment of the drop.
* SIGTERM: no new claims, the messages in hand are finished (10 s at most),
  the bind unbinds, and whatever is left is handed back untouched (QUEUED,
  same `client_ref`) for the next bind.

Receipts are acknowledged only once stored (`receipts.reports_store`), so an
SMSC redelivers the ones a crash lost; a repeated receipt changes nothing.
"""

from __future__ import annotations

import logging
import select
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from django.conf import settings
from smpplib import consts, exceptions, smpp
from smpplib.client import Client

from messaging import dispatch, receipts
from messaging.gateways.base import (
    InboundMessage,
    OutgoingMessage,
    Report,
    RouteSpec,
    SubmitResult,
)
from messaging.gateways.smpp import codec
from messaging.gateways.smpp.gateway import SmppSettings
from messaging.models import FINAL, Message, MessageStatus
from messaging.segments import analyze, is_gsm7

logger = logging.getLogger(__name__)

InboundSink = Callable[[str, list[InboundMessage]], None]

POLL_SECONDS = 0.5  # how often an idle bind looks for queued messages
TRANSIENT_TRIES = 3  # SMSC-side refusals of one part before the message FAILS
STOP_GRACE_SECONDS = 10.0
THROTTLE_MAX_SECONDS = 60.0


class LinkDead(Exception):
    """The SMSC stopped answering: no response within `responseTimeoutSeconds`."""


class SessionEnded(Exception):
    """The SMSC unbound us."""


@dataclass
class _Pending:
    """A claimed message on its way: its parts and what the SMSC said so far."""

    message: OutgoingMessage
    claim: dispatch.Claim
    parts: list[codec.Part]
    open: set[int]  # parts not answered for good yet
    last_id: str = ""
    failure: SubmitResult | None = None
    tries: dict[int, int] = field(default_factory=dict)


class Bind:
    """The session loop of one route; `run()` returns after `stop()`."""

    def __init__(
        self,
        spec: RouteSpec,
        *,
        inbound: InboundSink,
        clock: Callable[[], float] = time.monotonic,
        stop_grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        self.key = spec.key
        self.cfg = SmppSettings.model_validate(dict(spec.settings))
        self.inbound = inbound
        self.clock = clock
        self.stopping = False
        self.stop_grace = stop_grace
        self._pending: dict[int, _Pending] = {}
        self._queue: deque[tuple[int, int]] = deque()  # (message id, part index)
        self._outstanding: dict[int, tuple[int, int, float]] = {}  # seq -> ..., sent
        self._finished: list[tuple[_Pending, SubmitResult]] = []
        self._reports: list[Report] = []
        self._replies: list[InboundMessage] = []
        self._acks: list[int] = []
        self._fragments: dict[tuple[str, int], dict[int, str]] = {}
        self._resume_at = 0.0
        self._throttle_wait = self.cfg.throttleBackoffSeconds
        self._next_send = 0.0
        self._next_claim = 0.0
        self._next_touch = 0.0
        self._last_io = 0.0
        self._enquiry_at: float | None = None
        self._stop_deadline: float | None = None
        self._bound = False

    def stop(self, *_signal: object) -> None:
        """Finish what is in hand and unbind (a signal handler)."""
        self.stopping = True

    # --- the outer loop: bind, and bind again --------------------------------

    def run(self) -> None:
        delay = self.cfg.reconnectMinSeconds
        try:
            while not self.stopping:
                try:
                    self._session()
                except (
                    exceptions.ConnectionError,
                    exceptions.PDUError,
                    OSError,
                    LinkDead,
                    SessionEnded,
                ) as exc:
                    logger.warning("smpp %s: session ended: %r", self.key, exc)
                    self._requeue_outstanding()
                    self._flush(None)
                if self.stopping:
                    break
                if self._bound:
                    delay = self.cfg.reconnectMinSeconds
                self._sleep(delay)
                delay = min(delay * 2, self.cfg.reconnectMaxSeconds)
        finally:
            self._hand_back()

    def _session(self) -> None:
        """Connect, bind, loop until stopped; `_bound` tells a failed bind from a
        session that was up (which resets the reconnect backoff)."""
        client = Client(
            self.cfg.host,
            self.cfg.port,
            timeout=self.cfg.responseTimeoutSeconds,
            allow_unknown_opt_params=True,
            logger_name=f"smpp.{self.key}",
        )
        self._bound = False
        try:
            client.connect()
            client.bind_transceiver(
                system_id=self.cfg.systemId,
                password=self.cfg.password,
                system_type=self.cfg.systemType,
            )
            self._bound = True
            logger.info("smpp %s: bound to %s:%s", self.key, client.host, client.port)
            self._last_io = self.clock()
            self._enquiry_at = None
            while not self._done_stopping():
                self._turn(client)
            self._flush(client)
            self._unbind(client)
        finally:
            if client._socket is not None:  # smpplib keeps it private
                client.disconnect()

    def _done_stopping(self) -> bool:
        if not self.stopping:
            return False
        now = self.clock()
        if self._stop_deadline is None:
            self._stop_deadline = now + self.stop_grace
        return not self._pending or now >= self._stop_deadline

    def _sleep(self, seconds: float) -> None:
        until = self.clock() + seconds
        while not self.stopping and self.clock() < until:
            time.sleep(min(0.1, max(0.0, until - self.clock())))

    # --- one turn -------------------------------------------------------------

    def _turn(self, client: Client) -> None:
        now = self.clock()
        self._claim_more(now)
        self._send_some(client)
        self._read_available(client)
        self._flush(client)
        self._keep_alive(client)

    def _claim_more(self, now: float) -> None:
        room = self.cfg.window - len(self._pending)
        if self.stopping or room <= 0 or now < self._next_claim:
            return
        claim = dispatch.messages_claim_route(gateway=self.key, size=room)
        if not claim:
            self._next_claim = now + POLL_SECONDS
            return
        accounts = Message.objects.filter(id__in=claim.ids).values_list(
            "account_id", flat=True
        )
        for account_id in set(accounts):
            dispatch.messages_skip_suppressed(claim=claim, account_id=account_id)
        for message in dispatch.claimed_batch(claim):
            encoding = message.encoding
            if encoding not in codec.DATA_CODING or (
                encoding == "GSM-7" and not is_gsm7(message.text)
            ):
                encoding = analyze(message.text).encoding
            parts = codec.message_parts(
                message.text, encoding, reference=message.id & 0xFF
            )
            if len(parts) != message.parts:
                logger.warning(
                    "smpp %s: message %s priced at %s parts, sent in %s",
                    self.key,
                    message.id,
                    message.parts,
                    len(parts),
                )
            self._pending[message.id] = _Pending(
                message, claim, parts, open=set(range(len(parts)))
            )
            self._queue.extend((message.id, i) for i in range(len(parts)))

    def _send_some(self, client: Client) -> None:
        while self._queue and len(self._outstanding) < self.cfg.window:
            now = self.clock()
            if now < self._resume_at or now < self._next_send:
                return
            message_id, index = self._queue.popleft()
            pending = self._pending[message_id]
            if pending.failure is not None:  # an earlier part was refused for good
                pending.open.discard(index)
                self._maybe_finish(pending)
                continue
            part = pending.parts[index]
            message = pending.message
            source_ton, source_npi = self._source_address_kind(message.sender)
            pdu = smpp.make_pdu(
                "submit_sm",
                client=client,
                service_type="",
                source_addr_ton=source_ton,
                source_addr_npi=source_npi,
                source_addr=message.sender.lstrip("+"),
                dest_addr_ton=self.cfg.destTon,
                dest_addr_npi=self.cfg.destNpi,
                destination_addr=message.phone.lstrip("+"),
                esm_class=part.esm_class,
                data_coding=part.data_coding,
                registered_delivery=1 if index == len(pending.parts) - 1 else 0,
                short_message=part.short_message,
            )
            try:
                client.send_pdu(pdu)
            except exceptions.ConnectionError:
                self._queue.appendleft((message_id, index))  # not sent: first again
                raise
            self._outstanding[pdu.sequence] = (message_id, index, now)
            self._last_io = now
            if self.cfg.throughput:
                self._next_send = max(now, self._next_send) + 1 / self.cfg.throughput

    def _source_address_kind(self, sender: str) -> tuple[int, int]:
        """TON/NPI of our sender: the route's, else alphanumeric 5/0 or a number 1/1."""
        if self.cfg.sourceTon is not None and self.cfg.sourceNpi is not None:
            return self.cfg.sourceTon, self.cfg.sourceNpi
        if sender.lstrip("+").isdigit():
            return 1, 1
        return 5, 0

    def _read_available(self, client: Client) -> None:
        """Handle every PDU waiting on the socket; wait briefly when idle."""
        wait = 0.05
        if self._queue and len(self._outstanding) < self.cfg.window:
            until = max(self._resume_at, self._next_send) - self.clock()
            wait = min(wait, max(0.0, until))
        while True:
            readable, _w, _x = select.select([client._socket], [], [], wait)
            if not readable:
                return
            self._handle(client, client.read_pdu())
            self._last_io = self.clock()
            wait = 0.0

    # --- what the SMSC says -----------------------------------------------------

    def _handle(self, client: Client, pdu) -> None:
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            self._answered(pdu)
        elif command == "deliver_sm":
            self._delivered(pdu)
            self._acks.append(pdu.sequence)
        elif command == "enquire_link":
            resp = smpp.make_pdu("enquire_link_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif command == "enquire_link_resp":
            self._enquiry_at = None
        elif command == "unbind":
            resp = smpp.make_pdu("unbind_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
            raise SessionEnded("the SMSC unbound")
        else:
            logger.info("smpp %s: ignored %s", self.key, command)

    def _answered(self, pdu) -> None:
        entry = self._outstanding.pop(pdu.sequence, None)
        if entry is None:
            logger.warning("smpp %s: answer to unknown seq %s", self.key, pdu.sequence)
            return
        message_id, index, _sent = entry
        pending = self._pending[message_id]
        status = pdu.status or 0
        if pdu.command == "submit_sm_resp" and status == consts.SMPP_ESME_ROK:
            self._throttle_wait = self.cfg.throttleBackoffSeconds
            pending.open.discard(index)
            if index == len(pending.parts) - 1:
                pending.last_id = codec.canonical_id(
                    pdu.message_id or b"", self.cfg.submitIdFormat
                )
        elif status in codec.THROTTLED:
            self._queue.appendleft((message_id, index))
            self._resume_at = self.clock() + self._throttle_wait
            logger.info(
                "smpp %s: %s, pausing %.1f s",
                self.key,
                codec.status_name(status),
                self._throttle_wait,
            )
            self._throttle_wait = min(self._throttle_wait * 2, THROTTLE_MAX_SECONDS)
            return
        elif (status in codec.TRANSIENT or pdu.command == "generic_nack") and (
            pending.tries.get(index, 0) < TRANSIENT_TRIES - 1
        ):
            pending.tries[index] = pending.tries.get(index, 0) + 1
            self._queue.append((message_id, index))
            self._resume_at = self.clock() + self.cfg.throttleBackoffSeconds
            return
        else:
            transient = status in codec.TRANSIENT or pdu.command == "generic_nack"
            pending.failure = pending.failure or SubmitResult(
                pending.message.client_ref,
                accepted=False,
                error_code=codec.status_name(status),
                error_reason=consts.DESCRIPTIONS.get(status, "")[:300],
                permanent=not transient,
            )
            pending.open.discard(index)
        self._maybe_finish(pending)

    def _maybe_finish(self, pending: _Pending) -> None:
        if pending.open or self._in_flight(pending.message.id):
            return
        result = pending.failure or SubmitResult(
            pending.message.client_ref, accepted=True, provider_id=pending.last_id
        )
        self._finished.append((pending, result))
        del self._pending[pending.message.id]

    def _in_flight(self, message_id: int) -> bool:
        return any(entry[0] == message_id for entry in self._outstanding.values())

    def _delivered(self, pdu) -> None:
        """A deliver_sm: a receipt for one of ours, or a message someone sent us."""
        esm_class = pdu.esm_class or 0
        data_coding = pdu.data_coding or 0
        _udh, payload = codec.split_udh(pdu.short_message or b"", esm_class)
        if (esm_class & 0x3C) in (0x04, 0x20):
            report = self._receipt(pdu, codec.text_decode(payload, data_coding))
            if report is not None:
                self._reports.append(report)
            return
        self._reply(pdu, esm_class, data_coding)

    def _receipt(self, pdu, text: str) -> Report | None:
        fields = codec.receipt_fields(text)
        if pdu.receipted_message_id:  # the id as submit_sm_resp gave it
            provider_id = codec.canonical_id(
                pdu.receipted_message_id, self.cfg.submitIdFormat
            )
        else:
            provider_id = codec.canonical_id(
                fields.get("id", ""), self.cfg.receiptIdFormat
            )
        stat = fields.get("stat", "").upper() or codec.MESSAGE_STATE.get(
            pdu.message_state or 0, ""
        )
        status = codec.RECEIPT_STATUS.get(stat)
        if not provider_id or status is None:
            logger.warning("smpp %s: unreadable receipt %r", self.key, text[:200])
            return None
        error = fields.get("err", "")
        failed = status in FINAL and status != MessageStatus.DELIVERED
        return Report(
            status=status,
            provider_id=provider_id,
            error_code=(f"{stat}:{error}" if failed and error else "")[:40],
            error_reason=(stat if failed else "")[:300],
        )

    def _reply(self, pdu, esm_class: int, data_coding: int) -> None:
        """Keep an inbound message; concatenated parts are put back together."""
        source = (pdu.source_addr or b"").decode("ascii", "replace")
        to = (pdu.destination_addr or b"").decode("ascii", "replace")
        udh, payload = codec.split_udh(pdu.short_message or b"", esm_class)
        text = codec.text_decode(payload, data_coding)
        if udh is not None and udh[1] > 1:
            reference, total, seq = udh
            held = self._fragments.setdefault((source, reference), {})
            held[seq] = text
            if len(held) < total:
                return
            text = "".join(held[i] for i in sorted(held))
            del self._fragments[(source, reference)]
        phone = (
            source if source.startswith("+") or not source.isdigit() else "+" + source
        )
        self._replies.append(InboundMessage(phone=phone, text=text, to=to))

    # --- bookkeeping ------------------------------------------------------------

    def _flush(self, client: Client | None) -> None:
        """Record finished messages, store receipts and replies, then ack them."""
        if self._finished:
            by_claim: dict[UUID, list[tuple[_Pending, SubmitResult]]] = defaultdict(
                list
            )
            for pending, result in self._finished:
                by_claim[pending.claim.token].append((pending, result))
            for items in by_claim.values():
                dispatch.messages_record(
                    claim=items[0][0].claim,
                    batch=[pending.message for pending, _r in items],
                    results=[result for _p, result in items],
                    gateway=self.key,
                )
            self._finished.clear()
        if self._reports:
            receipts.reports_store(gateway_key=self.key, reports=self._reports)
            self._reports = []
        if self._replies:
            self.inbound(self.key, self._replies)
            self._replies = []
        if client is not None:
            for sequence in self._acks:
                resp = smpp.make_pdu("deliver_sm_resp", client=client)
                resp.sequence = sequence
                client.send_pdu(resp)
        self._acks.clear()  # unacknowledged on a broken link: the SMSC resends

    def _keep_alive(self, client: Client) -> None:
        now = self.clock()
        timeout = self.cfg.responseTimeoutSeconds
        if self._enquiry_at is not None and now - self._enquiry_at > timeout:
            raise LinkDead("no enquire_link_resp")
        if any(now - sent > timeout for _m, _i, sent in self._outstanding.values()):
            raise LinkDead("no submit_sm_resp")
        if (
            self._enquiry_at is None
            and now - self._last_io >= self.cfg.enquireLinkSeconds
        ):
            client.send_pdu(smpp.make_pdu("enquire_link", client=client))
            self._enquiry_at = self._last_io = now
        if now >= self._next_touch:
            tokens = {pending.claim.token for pending in self._pending.values()}
            dispatch.messages_claim_touch(list(tokens))
            self._next_touch = now + settings.SEND_CLAIM_TIMEOUT / 3

    def _requeue_outstanding(self) -> None:
        """Parts sent but not answered go first once bound again."""
        for _seq, (message_id, index, _sent) in sorted(
            self._outstanding.items(), reverse=True
        ):
            self._queue.appendleft((message_id, index))
        self._outstanding.clear()
        self._resume_at = 0.0

    def _unbind(self, client: Client) -> None:
        """Say goodbye; answers that come in meanwhile are let go (the SMSC resends)."""
        try:
            client.send_pdu(smpp.make_pdu("unbind", client=client))
            deadline = self.clock() + 2.0
            while self.clock() < deadline:
                readable, _w, _x = select.select([client._socket], [], [], 0.1)
                if readable and client.read_pdu().command == "unbind_resp":
                    break
        except (exceptions.ConnectionError, exceptions.PDUError, OSError):
            pass

    def _hand_back(self) -> None:
        """Return every message still in hand, untouched, to the queue."""
        self._requeue_outstanding()
        self._flush(None)
        for claim in {
            pending.claim.token: pending.claim for pending in self._pending.values()
        }.values():
            dispatch.messages_unclaim(claim)
        self._pending.clear()
        self._queue.clear()
