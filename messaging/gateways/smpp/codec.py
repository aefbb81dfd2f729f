"""What goes into and comes out of SMPP PDUs: text, parts, receipts, ids, codes.

Pure functions, no socket: the bind (`bind.py`) and the test SMSC share them.

* GSM-7 text travels as *unpacked* GSM 03.38 septets, one octet each, with
  `data_coding` 0 (the SMSC default alphabet): what SMPP 3.4 means by it and what
  most SMSCs expect on SMPP (packing to 7 bits is the SMSC's job on the air
  interface). UCS-2 travels as UTF-16 big-endian with `data_coding` 8.
* A long text is cut by `messaging.segments.split`, the function that counts the
  parts we priced, and each part carries the 6-octet concatenation header
  `05 00 03 ref total seq` (IEI 0x00, 8-bit reference) with `esm_class` 0x40.
  The 16-bit reference (IEI 0x08) is not offered: its 7-octet header leaves 152
  septets / 66 characters per part, so a text priced at N parts could need N+1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from smpplib import consts

from messaging.models import MessageStatus
from messaging.segments import GSM_BASIC, GSM_EXTENSION, Encoding, split

ESC = 0x1B
UDHI = 0x40  # esm_class: the short message starts with a user data header
DATA_CODING = {"GSM-7": 0x00, "UCS-2": 0x08}

# GSM_BASIC leaves out 0x1B (ESC), so every character from 0x1C on sits one
# position earlier in the string than its septet value.
_SEPTET = {char: (i if i < ESC else i + 1) for i, char in enumerate(GSM_BASIC)}
_EXTENSION_SEPTET = dict(
    zip(
        GSM_EXTENSION,
        (0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65),
        strict=True,
    )
)
_FROM_SEPTET = {value: char for char, value in _SEPTET.items()}
_FROM_EXTENSION = {value: char for char, value in _EXTENSION_SEPTET.items()}


def gsm_encode(text: str) -> bytes:
    """Unpacked GSM 03.38 septets; an extension character is ESC + its septet.

    Raises KeyError for a character outside GSM-7 (the segment counter chose
    GSM-7 only for texts that have none).
    """
    out = bytearray()
    for char in text:
        if char in _SEPTET:
            out.append(_SEPTET[char])
        else:
            out += bytes((ESC, _EXTENSION_SEPTET[char]))
    return bytes(out)


def gsm_decode(data: bytes) -> str:
    """Text from unpacked GSM 03.38 septets; an unknown value reads as "?"."""
    chars, escaped = [], False
    for octet in data:
        if escaped:
            chars.append(_FROM_EXTENSION.get(octet, "?"))
            escaped = False
        elif octet == ESC:
            escaped = True
        else:
            chars.append(_FROM_SEPTET.get(octet & 0x7F, "?"))
    return "".join(chars)


def text_decode(data: bytes, data_coding: int) -> str:
    """A received short message's text by its `data_coding` (inbound messages)."""
    if data_coding == 0x08:
        return data.decode("utf-16-be", "replace")
    if data_coding in (0x01, 0x03):  # IA5 / ASCII, Latin-1
        return data.decode("latin-1")
    return gsm_decode(data)


@dataclass(frozen=True)
class Part:
    """One submit_sm's worth of a message."""

    short_message: bytes
    esm_class: int
    data_coding: int


def message_parts(text: str, encoding: Encoding, *, reference: int) -> list[Part]:
    """The parts of `text` as `submit_sm` carries them, cut where they were priced.

    `reference` (0-255) ties the parts together on the handset; derived from the
    message by the caller, so a resubmission after a reconnect carries the same.
    """
    encode = gsm_encode if encoding == "GSM-7" else _ucs2
    coding = DATA_CODING[encoding]
    chunks = split(text, encoding) or [""]
    if len(chunks) == 1:
        return [Part(encode(chunks[0]), 0x00, coding)]
    total = len(chunks)
    return [
        Part(
            bytes((5, 0, 3, reference & 0xFF, total, seq)) + encode(chunk), UDHI, coding
        )
        for seq, chunk in enumerate(chunks, start=1)
    ]


def _ucs2(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def split_udh(
    short_message: bytes, esm_class: int
) -> tuple[tuple[int, int, int] | None, bytes]:
    """((reference, total, seq) or None, payload) of a received short message.

    Reads the concatenation element, 8-bit (IEI 0x00) or 16-bit (IEI 0x08)
    reference, from the user data header when `esm_class` says there is one.
    """
    if not esm_class & UDHI or not short_message:
        return None, short_message
    length = short_message[0]
    header, payload = short_message[1 : 1 + length], short_message[1 + length :]
    pos = 0
    while pos + 2 <= len(header):
        iei, size = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + size]
        if iei == 0x00 and size == 3:
            return (value[0], value[1], value[2]), payload
        if iei == 0x08 and size == 4:
            return ((value[0] << 8) | value[1], value[2], value[3]), payload
        pos += 2 + size
    return None, payload


# --- message ids -----------------------------------------------------------

IdFormat = Literal["text", "hex", "decimal"]


def canonical_id(raw: str | bytes, fmt: IdFormat) -> str:
    """The one form an SMSC message id is stored and looked up in.

    SMSCs answer `submit_sm_resp` with an id in one form and quote it in the
    receipt in another (hex vs decimal, upper vs lower case, leading zeros:
    Jasmin #616, #643, #1123). A route says which form each side uses; hex and
    decimal ids become the decimal number without leading zeros, text ids are
    compared without case. Guessing per id is not safe: "100" is a valid id in
    both bases, and with sequential ids both readings exist on the same route.
    """
    value = (raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw).strip()
    value = value.strip("\x00").strip()
    if fmt == "text" or not value:
        return value.lower()
    try:
        return str(int(value, 16 if fmt == "hex" else 10))
    except ValueError:
        return value.lower()  # not in the announced form: keep it comparable


# --- delivery receipts -----------------------------------------------------

RECEIPT_TYPES = 0x04 | 0x20  # esm_class: SMSC delivery receipt, intermediate notice
_FIELD = re.compile(
    r"\b(id|sub|dlvrd|submit date|done date|stat|err|text):", re.IGNORECASE
)
# stat (SMPP 3.4 appendix B) -> ours. DELETED: the SMSC dropped it (an operator
# or cancel_sm), no fault of the number: FAILED. UNKNOWN and ACCEPTD are not
# final: the message stays SUBMITTED and a later receipt or the report timeout
# decides it.
RECEIPT_STATUS = {
    "DELIVRD": MessageStatus.DELIVERED,
    "UNDELIV": MessageStatus.UNDELIVERED,
    "EXPIRED": MessageStatus.EXPIRED,
    "REJECTD": MessageStatus.REJECTED,
    "DELETED": MessageStatus.FAILED,
    "UNKNOWN": MessageStatus.SUBMITTED,
    "ACCEPTD": MessageStatus.SUBMITTED,
    "ENROUTE": MessageStatus.SUBMITTED,
}
# message_state TLV (SMPP 3.4 5.3.2.35), for receipts without a stat field.
MESSAGE_STATE = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}


def receipt_fields(text: str) -> dict[str, str]:
    """The fields of a receipt's text, keys lower-case: "id", "stat", "err", ..."""
    matches = list(_FIELD.finditer(text))
    fields = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        fields[match.group(1).lower()] = text[match.end() : end].strip()
    return fields


# --- command status names ---------------------------------------------------

STATUS_NAMES = {
    value: name.removeprefix("SMPP_")
    for name, value in vars(consts).items()
    if name.startswith("SMPP_ESME_") and isinstance(value, int)
}
THROTTLED = frozenset({consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL})
# Refusals that may pass on a later try: the SMSC's own trouble, not the message's.
TRANSIENT = frozenset(
    {
        consts.SMPP_ESME_RSYSERR,
        consts.SMPP_ESME_RSUBMITFAIL,
        consts.SMPP_ESME_RX_T_APPN,
        consts.SMPP_ESME_RDELIVERYFAILURE,
    }
)


def status_name(status: int) -> str:
    """ESME_RINVDSTADR for 0x0B; unknown vendor codes as their hex value."""
    return STATUS_NAMES.get(status, f"0x{status:08X}")
