"""What the SMPP route puts in PDUs and reads from them, without a socket."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.gateways.smpp import codec
from messaging.segments import GSM_BASIC, GSM_EXTENSION, analyze, parts, split

GSM_TEXT = st.text(alphabet=GSM_BASIC + GSM_EXTENSION, min_size=1, max_size=1200)
ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_BASIC + GSM_EXTENSION), st.characters(codec=None)
    ),
    max_size=700,
).filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t))


@given(GSM_TEXT)
def test_gsm_parts_are_cut_where_they_were_counted(text):
    chunks = split(text, "GSM-7")
    assert len(chunks) == parts(text, "GSM-7")
    assert "".join(chunks) == text
    sms = codec.message_parts(text, "GSM-7", reference=7)
    assert len(sms) == len(chunks)
    single = len(sms) == 1
    for part in sms:
        payload = part.short_message if single else part.short_message[6:]
        assert len(payload) <= (160 if single else 153)  # one octet per septet


@given(ANY_TEXT)
def test_any_text_splits_into_the_priced_parts_of_its_encoding(text):
    info = analyze(text)
    chunks = split(text, info.encoding)
    assert len(chunks) == info.parts
    assert "".join(chunks) == text
    if info.encoding == "UCS-2":
        for part in codec.message_parts(text, "UCS-2", reference=1):
            payload = part.short_message[6:] if part.esm_class else part.short_message
            assert len(payload) <= (140 if part.esm_class == 0 else 134)
            payload.decode("utf-16-be")  # no surrogate pair cut in two


def test_concatenation_header_is_8_bit_reference_iei_0():
    text = "x" * 200
    sms = codec.message_parts(text, "GSM-7", reference=300)
    assert [p.short_message[:6] for p in sms] == [
        bytes((5, 0, 3, 300 & 0xFF, 2, 1)),
        bytes((5, 0, 3, 300 & 0xFF, 2, 2)),
    ]
    assert {(p.esm_class, p.data_coding) for p in sms} == {(0x40, 0)}


def test_an_escape_pair_is_never_cut():
    text = "a" * 152 + "€" + "b" * 10
    first, second = split(text, "GSM-7")
    assert first == "a" * 152
    assert second.startswith("€")


def test_gsm_septets_round_trip_and_extension_characters_take_an_escape():
    text = "@£$¥ Ciao è! {€} [x] ~|^\\ ΔΦ"
    encoded = codec.gsm_encode(text)
    assert encoded[:4] == bytes((0x00, 0x01, 0x02, 0x03))
    assert bytes((0x1B, 0x65)) in encoded  # €
    assert codec.gsm_decode(encoded) == text


@pytest.mark.parametrize(
    ("raw", "fmt", "canonical"),
    [
        ("F4241", "hex", "1000001"),
        ("f4241", "hex", "1000001"),
        ("000F4241", "hex", "1000001"),
        ("1000001", "decimal", "1000001"),
        ("0001000001", "decimal", "1000001"),
        (b"AbC-12\x00", "text", "abc-12"),
        (" 6d2f1e ", "text", "6d2f1e"),
        ("not-hex", "hex", "not-hex"),
    ],
)
def test_ids_in_any_case_base_or_padding_meet_in_one_form(raw, fmt, canonical):
    assert codec.canonical_id(raw, fmt) == canonical


def test_receipt_text_fields():
    text = (
        "id:0123456789 sub:001 dlvrd:000 submit date:2412021530 "
        "done date:2412021531 stat:UNDELIV err:034 Text:Ciao a tutti"
    )
    assert codec.receipt_fields(text) == {
        "id": "0123456789",
        "sub": "001",
        "dlvrd": "000",
        "submit date": "2412021530",
        "done date": "2412021531",
        "stat": "UNDELIV",
        "err": "034",
        "text": "Ciao a tutti",
    }


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        ("DELIVRD", "DELIVERED"),
        ("UNDELIV", "UNDELIVERED"),
        ("EXPIRED", "EXPIRED"),
        ("REJECTD", "REJECTED"),
        ("DELETED", "FAILED"),
        ("UNKNOWN", "SUBMITTED"),
        ("ACCEPTD", "SUBMITTED"),
    ],
)
def test_receipt_states_map_to_ours(stat, status):
    assert codec.RECEIPT_STATUS[stat] == status


def test_esme_codes_are_named():
    assert codec.status_name(0x0B) == "ESME_RINVDSTADR"
    assert codec.status_name(0x58) == "ESME_RTHROTTLED"
    assert codec.status_name(0x400) == "0x00000400"
