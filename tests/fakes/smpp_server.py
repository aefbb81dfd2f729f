"""A small SMSC on loopback, speaking SMPP 3.4 through smpplib's own PDU codec.

It listens on an ephemeral 127.0.0.1 port, one thread per connection, and does
what the bind under test needs an SMSC to do: accept `bind_transceiver`, answer
`submit_sm` (hex ids, upper case, by default), reassemble concatenated parts
into whole messages, answer `enquire_link` and `unbind`, and send a delivery
receipt (`deliver_sm`, receipt text with the id in decimal) for every part that
asked for one. Receipts not acknowledged when a connection ends are sent again
on the next bind, as a real SMSC does. Faults on demand: ESME_RTHROTTLED for
the first N submits, ESME_RINVDSTADR for one number, and one dropped
connection after N accepted submits (`drop_mode`).
"""

from __future__ import annotations

import itertools
import select
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from smpplib import consts, smpp

from messaging.gateways.smpp.codec import split_udh, text_decode


class _Sequencer:
    """What smpplib's PDUs need from a "client": a sequence counter."""

    def __init__(self) -> None:
        self._next = itertools.count(1)
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence = next(self._next)
        return self.sequence


@dataclass
class Submitted:
    """One submit_sm as received."""

    source: str
    destination: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes
    message_id: int


@dataclass
class Received:
    """A whole message, its parts put back together."""

    source: str
    destination: str
    text: str
    data_coding: int
    parts: int


@dataclass
class FakeSmsc:
    throttle_first: int = 0  # answer ESME_RTHROTTLED to this many submits
    drop_after: int | None = None  # close the link once, at this accepted submit
    # "fin": the submit that triggers the drop is lost, answers sent before it
    # arrive. "reset": it is accepted and answered, then the link is reset, so
    # answers still in flight are destroyed (the ESME must send those again).
    drop_mode: str = "fin"
    refuse_destination: str = ""  # answer ESME_RINVDSTADR for this number
    receipt_stat: str = "DELIVRD"
    id_form: str = "hex-upper"  # submit_sm_resp ids: "hex-upper" or "decimal"
    system_id: str = "megafono"
    password: str = "secret"

    submits: list[Submitted] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    throttled: list[float] = field(default_factory=list)  # when each was refused
    accepted_at: list[float] = field(default_factory=list)
    binds: int = 0
    enquire_links: int = 0
    unbinds: int = 0
    drops: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._reset_after_answer = False
        self._ids = itertools.count(1_000_000)
        self._fragments: dict[tuple[str, int], dict[int, bytes]] = {}
        self._receipts: list[tuple[int, str, str]] = []  # (id, dest, source)
        self._inbound: list[tuple[str, str, bytes, int, int]] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    # --- what tests look at ----------------------------------------------------

    def per_destination(self) -> Counter:
        """Whole messages received per destination number."""
        with self._lock:
            return Counter(m.destination for m in self.messages)

    def wait_for(self, predicate, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    def send_inbound(
        self, source: str, destination: str, payload: bytes, *, esm_class=0, coding=0
    ) -> None:
        """Queue a mobile-originated deliver_sm for the bound ESME."""
        with self._lock:
            self._inbound.append((source, destination, payload, esm_class, coding))

    def close(self) -> None:
        self._stopped.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    # --- the server --------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        seq = _Sequencer()
        unacked: dict[int, tuple[int, str, str]] = {}  # our deliver_sm seq -> receipt
        bound = False
        try:
            while not self._stopped.is_set():
                if bound:  # nothing goes to an ESME before its bind is answered
                    self._push(conn, seq, unacked)
                readable, _w, _x = select.select([conn], [], [], 0.02)
                if not readable:
                    continue
                pdu = self._read(conn)
                if pdu is None:
                    return
                answered = self._answer(conn, seq, pdu, unacked)
                if answered is None:
                    self._drop(conn)
                    return
                if not answered:
                    return
                bound = True
        except OSError:
            return
        finally:
            with self._lock:  # unacknowledged receipts go out on the next bind
                self._receipts.extend(unacked.values())
            conn.close()

    @staticmethod
    def _drop(conn: socket.socket) -> None:
        """End the link from our side (FIN): answers already sent still arrive,
        what the ESME sends from now on is read and thrown away, as by an SMSC
        that went down with it. (Closing with unread data would reset the link
        and destroy answers in flight: then the ESME cannot know what we took.)
        """
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(5)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def _read(self, conn: socket.socket):
        header = self._exact(conn, 4)
        if header is None:
            return None
        (length,) = struct.unpack(">L", header)
        body = self._exact(conn, length - 4)
        if body is None:
            return None
        return smpp.parse_pdu(
            header + body, client=_Sequencer(), allow_unknown_opt_params=True
        )

    @staticmethod
    def _exact(conn: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _reply(self, conn, seq, command: str, request, **fields) -> None:
        pdu = smpp.make_pdu(command, client=seq, **fields)
        pdu.sequence = request.sequence
        conn.sendall(pdu.generate())

    def _answer(self, conn, seq, pdu, unacked) -> bool | None:
        """Act on one PDU; False to end the connection, None to drop it."""
        command = pdu.command
        if command == "bind_transceiver":
            good = (
                pdu.system_id == self.system_id.encode()
                and pdu.password == self.password.encode()
            )
            status = consts.SMPP_ESME_ROK if good else consts.SMPP_ESME_RBINDFAIL
            self._reply(
                conn, seq, "bind_transceiver_resp", pdu, system_id="fake", status=status
            )
            if good:
                with self._lock:
                    self.binds += 1
            return good
        if command == "submit_sm":
            return self._submit(conn, seq, pdu)
        if command == "enquire_link":
            with self._lock:
                self.enquire_links += 1
            self._reply(conn, seq, "enquire_link_resp", pdu)
        elif command == "unbind":
            with self._lock:
                self.unbinds += 1
            self._reply(conn, seq, "unbind_resp", pdu)
            return False
        elif command == "deliver_sm_resp":
            unacked.pop(pdu.sequence, None)
        return True

    def _submit(self, conn, seq, pdu) -> bool | None:
        with self._lock:
            if len(self.throttled) < self.throttle_first:
                self.throttled.append(time.monotonic())
                status = consts.SMPP_ESME_RTHROTTLED
            elif self.drop_after is not None and len(self.submits) == self.drop_after:
                self.drop_after = None
                self.drops += 1
                if self.drop_mode == "fin":
                    return None  # the link breaks: this submit is lost on the way
                self._reset_after_answer = True
                status = consts.SMPP_ESME_ROK
            elif pdu.destination_addr.decode() == self.refuse_destination:
                status = consts.SMPP_ESME_RINVDSTADR
            else:
                status = consts.SMPP_ESME_ROK
        if status != consts.SMPP_ESME_ROK:
            self._reply(conn, seq, "submit_sm_resp", pdu, status=status)
            return True
        message_id = next(self._ids)
        submitted = Submitted(
            source=pdu.source_addr.decode(),
            destination=pdu.destination_addr.decode(),
            esm_class=pdu.esm_class or 0,
            data_coding=pdu.data_coding or 0,
            registered_delivery=pdu.registered_delivery or 0,
            short_message=pdu.short_message or b"",
            message_id=message_id,
        )
        with self._lock:
            self.submits.append(submitted)
            self.accepted_at.append(time.monotonic())
            self._assemble(submitted)
            if submitted.registered_delivery & 1:
                self._receipts.append(
                    (message_id, submitted.destination, submitted.source)
                )
        shown = f"{message_id:X}" if self.id_form == "hex-upper" else str(message_id)
        self._reply(conn, seq, "submit_sm_resp", pdu, message_id=shown)
        if self._reset_after_answer:
            self._reset_after_answer = False
            # Linger 0: close() sends RST, dropping whatever is still buffered.
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            return False
        return True

    def _assemble(self, submitted: Submitted) -> None:
        udh, payload = split_udh(submitted.short_message, submitted.esm_class)
        if udh is None:
            chunks, parts = [payload], 1
        else:
            reference, total, number = udh
            key = (submitted.destination, reference)
            held = self._fragments.setdefault(key, {})
            held[number] = payload
            if len(held) < total:
                return
            del self._fragments[key]
            chunks, parts = [held[i] for i in sorted(held)], total
        text = "".join(text_decode(c, submitted.data_coding) for c in chunks)
        self.messages.append(
            Received(
                submitted.source,
                submitted.destination,
                text,
                submitted.data_coding,
                parts,
            )
        )

    def _push(self, conn, seq, unacked) -> None:
        """Send the receipts and mobile-originated messages waiting for this ESME."""
        with self._lock:
            receipts, self._receipts = self._receipts, []
            inbound, self._inbound = self._inbound, []
        for message_id, destination, source in receipts:
            stamp = time.strftime("%y%m%d%H%M")
            text = (
                f"id:{message_id} sub:001 dlvrd:001 submit date:{stamp} "
                f"done date:{stamp} stat:{self.receipt_stat} err:000 text:"
            )
            pdu = smpp.make_pdu(
                "deliver_sm",
                client=seq,
                source_addr=destination,
                destination_addr=source,
                esm_class=0x04,
                short_message=text.encode(),
            )
            unacked[pdu.sequence] = (message_id, destination, source)
            conn.sendall(pdu.generate())
        for source, destination, payload, esm_class, coding in inbound:
            pdu = smpp.make_pdu(
                "deliver_sm",
                client=seq,
                source_addr=source,
                destination_addr=destination,
                esm_class=esm_class,
                data_coding=coding,
                short_message=payload,
            )
            conn.sendall(pdu.generate())
