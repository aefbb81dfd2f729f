"""SMS encoding and parts: exact boundaries, and agreement with a brute-force split."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.segments import (
    GSM_BASIC,
    GSM_EXTENSION,
    LOOKALIKES,
    analyze,
    gsm_units,
    is_gsm7,
    parts,
    parts_for,
    replace_lookalikes,
    transliterate,
    ucs2_units,
)

# The non-ASCII characters of the 3GPP TS 23.038 basic table, by Unicode name, so this
# reference does not share a typo with the module's own string.
_BASIC_NON_ASCII = [
    "POUND SIGN",
    "YEN SIGN",
    "LATIN SMALL LETTER E WITH GRAVE",
    "LATIN SMALL LETTER E WITH ACUTE",
    "LATIN SMALL LETTER U WITH GRAVE",
    "LATIN SMALL LETTER I WITH GRAVE",
    "LATIN SMALL LETTER O WITH GRAVE",
    "LATIN CAPITAL LETTER C WITH CEDILLA",
    "LATIN CAPITAL LETTER O WITH STROKE",
    "LATIN SMALL LETTER O WITH STROKE",
    "LATIN CAPITAL LETTER A WITH RING ABOVE",
    "LATIN SMALL LETTER A WITH RING ABOVE",
    "GREEK CAPITAL LETTER DELTA",
    "GREEK CAPITAL LETTER PHI",
    "GREEK CAPITAL LETTER GAMMA",
    "GREEK CAPITAL LETTER LAMDA",
    "GREEK CAPITAL LETTER OMEGA",
    "GREEK CAPITAL LETTER PI",
    "GREEK CAPITAL LETTER PSI",
    "GREEK CAPITAL LETTER SIGMA",
    "GREEK CAPITAL LETTER THETA",
    "GREEK CAPITAL LETTER XI",
    "LATIN CAPITAL LETTER AE",
    "LATIN SMALL LETTER AE",
    "LATIN SMALL LETTER SHARP S",
    "LATIN CAPITAL LETTER E WITH ACUTE",
    "CURRENCY SIGN",
    "INVERTED EXCLAMATION MARK",
    "LATIN CAPITAL LETTER A WITH DIAERESIS",
    "LATIN CAPITAL LETTER O WITH DIAERESIS",
    "LATIN CAPITAL LETTER N WITH TILDE",
    "LATIN CAPITAL LETTER U WITH DIAERESIS",
    "SECTION SIGN",
    "INVERTED QUESTION MARK",
    "LATIN SMALL LETTER A WITH DIAERESIS",
    "LATIN SMALL LETTER O WITH DIAERESIS",
    "LATIN SMALL LETTER N WITH TILDE",
    "LATIN SMALL LETTER U WITH DIAERESIS",
    "LATIN SMALL LETTER A WITH GRAVE",
]
# ASCII minus what GSM-7 lacks (backtick, controls) and what it has only as extension.
_BASIC_ASCII = set(
    string.ascii_letters + string.digits + " !\"#%&'()*+,-./:;<=>?@_$\n\r"
)
REF_BASIC = frozenset(_BASIC_ASCII | {unicodedata.lookup(n) for n in _BASIC_NON_ASCII})
REF_EXTENSION = frozenset("\f^{}\\[]~|\N{EURO SIGN}")

SEED = (
    "Black Friday! Solo per te: -30% su tutto con il codice BF2026. "
    "Valido fino al 30/11. Scopri di più: https://shop.example.it/bf"
)


def brute_force_parts(text: str, *, unicode: bool = False) -> tuple[str, list[int]]:
    """(encoding, units of each part) by packing whole characters one at a time.

    A character never spans two parts: in GSM-7 an extension character is an
    indivisible two-septet token, in UCS-2 a surrogate pair a two-unit one.
    """
    gsm = not unicode and all(c in REF_BASIC or c in REF_EXTENSION for c in text)
    if gsm:
        tokens = [2 if c in REF_EXTENSION else 1 for c in text]
        single, per_part = 160, 153
    else:
        tokens = [len(c.encode("utf-16-be")) // 2 for c in text]
        single, per_part = 70, 67
    encoding = "GSM-7" if gsm else "UCS-2"
    if not tokens:
        return encoding, []
    if sum(tokens) <= single:
        return encoding, [sum(tokens)]
    sizes = [0]
    for token in tokens:
        if sizes[-1] + token > per_part:
            sizes.append(0)
        sizes[-1] += token
    return encoding, sizes


def test_alphabet_matches_3gpp_table():
    assert len(GSM_BASIC) == 127  # 128 code points minus ESC
    assert frozenset(GSM_BASIC) == REF_BASIC
    assert frozenset(GSM_EXTENSION) == REF_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count", "per_part", "remaining"),
    [
        ("", "GSM-7", 0, 0, 160, 160),
        ("a", "GSM-7", 1, 1, 160, 159),
        ("a" * 160, "GSM-7", 160, 1, 160, 0),
        ("a" * 161, "GSM-7", 161, 2, 153, 145),
        ("a" * 306, "GSM-7", 306, 2, 153, 0),
        ("a" * 307, "GSM-7", 307, 3, 153, 152),
        ("€", "GSM-7", 2, 1, 160, 158),
        ("€" * 80, "GSM-7", 160, 1, 160, 0),
        # 81 euro signs: 162 septets; a 153-septet part holds only 76 pairs (152).
        ("€" * 81, "GSM-7", 162, 2, 153, 143),
        # The pair starting at septet 153 moves to part 2: 152 + 153 + 1 = 3 parts,
        # where ceil(306 / 153) would say 2.
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3, 153, 152),
        # One char earlier the pair ends exactly at the boundary: 2 full parts.
        ("a" * 151 + "€" + "a" * 153, "GSM-7", 306, 2, 153, 0),
        # A single part never splits, so 152 + pair + 6 = 160 fits in one.
        ("a" * 152 + "€" + "a" * 6, "GSM-7", 160, 1, 160, 0),
        ("Ж" * 70, "UCS-2", 70, 1, 70, 0),
        ("Ж" * 71, "UCS-2", 71, 2, 67, 63),
        ("Ж" * 134, "UCS-2", 134, 2, 67, 0),
        ("Ж" * 135, "UCS-2", 135, 3, 67, 66),
        ("😀", "UCS-2", 2, 1, 70, 68),
        ("Ж" * 68 + "😀", "UCS-2", 70, 1, 70, 0),
        # The surrogate pair would take units 67 and 68: part 1 ends after 66.
        ("Ж" * 66 + "😀" + "Ж" * 66, "UCS-2", 134, 3, 67, 66),
        ("Ж" * 65 + "😀" + "Ж" * 67, "UCS-2", 134, 2, 67, 0),
        ("Ж" * 69 + "😀", "UCS-2", 71, 2, 67, 63),
    ],
)
def test_boundaries(text, encoding, units, count, per_part, remaining):
    info = analyze(text)
    assert (info.encoding, info.units, info.parts) == (encoding, units, count)
    assert (info.per_part, info.remaining) == (per_part, remaining)
    assert info.characters == len(text)
    assert parts(text) == count


def test_seed_example():
    info = analyze(SEED)
    # "Black Friday! " 14 + "Solo per te: " 13 + "-30% su tutto " 14
    # + "con il codice BF2026. " 22 + "Valido fino al 30/11. " 22
    # + "Scopri di più: " 15 + "https://shop.example.it/bf" 26 = 126 characters.
    # All are in the GSM-7 basic table ("ù" included, "%" and "/" too) and none is an
    # extension character, so 126 septets: one SMS with 160 - 126 = 34 to spare.
    assert info.encoding == "GSM-7"
    assert (info.characters, info.units, info.parts) == (126, 126, 1)
    assert info.remaining == 34
    assert info.ucs2_chars == ()


def test_italian_text_is_gsm():
    assert is_gsm7("Solo per te: -30% su tutto")
    assert is_gsm7("più")  # ù is in the basic table
    assert is_gsm7("Perché è così")  # é, è, ì too
    assert not is_gsm7("PERCHÈ")  # but capital È is not
    assert gsm_units("Solo -30%, 5€ {di} sconto") == 28


def test_curly_quote_forces_ucs2_and_lookalikes_fix_it():
    text = "Sconto dell’ultimo minuto: “-30%”"
    info = analyze(text)
    assert info.encoding == "UCS-2"
    assert info.ucs2_chars == ((11, "’"), (27, "“"), (32, "”"))
    fixed = replace_lookalikes(text)
    assert fixed == 'Sconto dell\'ultimo minuto: "-30%"'
    assert analyze(fixed).encoding == "GSM-7"


def test_forced_unicode():
    info = analyze("Ciao", unicode=True)
    assert (info.encoding, info.units, info.parts, info.per_part) == ("UCS-2", 4, 1, 70)
    assert info.ucs2_chars == ()
    assert analyze("a" * 71, unicode=True).parts == 2
    assert parts("a" * 71, "UCS-2") == 2
    assert analyze("", unicode=True).remaining == 70


def test_ucs2_chars_reported_with_code_point_index():
    info = analyze("😀 ok Ж")
    assert info.ucs2_chars == ((0, "😀"), (5, "Ж"))
    assert info.units == 7  # the emoji is two UTF-16 units


def test_lone_surrogate_is_counted_not_raised():
    info = analyze("a\ud83d")
    assert (info.encoding, info.units, info.parts) == ("UCS-2", 2, 1)


def test_max_parts():
    assert not analyze("a" * 1530).too_long  # exactly 10 parts
    assert analyze("a" * 1531).too_long
    assert analyze("a" * 161, max_parts=1).too_long
    with pytest.raises(ValueError, match="max_parts"):
        analyze("a", max_parts=0)


def test_parts_refuses_gsm_for_non_gsm_text():
    with pytest.raises(ValueError, match="GSM-7"):
        parts("Ж", "GSM-7")


def test_unit_counters():
    assert ucs2_units("a😀Ж") == 4
    assert gsm_units("[]") == 4


def test_lookalikes_map_non_gsm_to_gsm():
    for char, replacement in LOOKALIKES.items():
        assert not is_gsm7(char), char
        assert is_gsm7(replacement), char


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l’offerta “speciale” – solo oggi…", 'l\'offerta "speciale" - solo oggi...'),
        ("«Ciao»", '"Ciao"'),
        ("‚low‘ „low“", "'low' \"low\""),
        ("5′ 10″", "5' 10\""),
        ("20\u00a0%\u202f", "20 % "),
        ("a\u200bb\ufeff", "ab"),
        ("−5 • 3", "-5 - 3"),
        ("piu\u0300", "più"),  # a combining accent is composed first
        ("più è {ok} €", "più è {ok} €"),  # GSM-7 text is returned untouched
        ("Ciao 👨\u200d👩 Ж", "Ciao 👨\u200d👩 Ж"),  # emoji joiners are kept
    ],
)
def test_replace_lookalikes(text, expected):
    assert replace_lookalikes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Èlia", "Elia"),
        ("Łukasz", "Lukasz"),
        ("Zoë Müller", "Zoe Müller"),  # ü is GSM-7 and stays
        ("Niccolò, Perché", "Niccolò, Perché"),
        ("François", "Francois"),
        ("José Álvarez", "José Alvarez"),
        ("D’Angelo", "D'Angelo"),
        ("Ǻsa", "Åsa"),  # keeps the ring GSM-7 has, drops the acute it lacks
        ("Œuvre", "OEuvre"),
        ("ΑΘΗΝΑ", "AΘHNA"),
        ("𝗦𝗔𝗟𝗘", "SALE"),
        ("Привет", "Привет"),  # no sensible equivalent: left alone
        ("Ciao 😀", "Ciao 😀"),
    ],
)
def test_transliterate(text, expected):
    assert transliterate(text) == expected


def test_transliterated_latin_names_are_gsm():
    names = ["Èlia", "Łukasz", "Dvořák", "Ærøskøbing", "Şükrü", "Nguyễn", "Đorđe"]
    for name in names:
        assert is_gsm7(transliterate(name)), name


def test_parts_for_is_none_only_when_pairs_may_straddle():
    assert parts_for(160, "GSM-7", pairs=50) == 1
    assert parts_for(306, "GSM-7") == 2
    assert parts_for(300, "GSM-7", pairs=3) == 2  # no waste can reach 307
    assert parts_for(306, "GSM-7", pairs=1) is None  # 2 or 3, depends where
    assert parts_for(134, "UCS-2", pairs=1) is None
    assert parts_for(0, "UCS-2") == 0


# Weighted towards the two-unit characters so they often sit on a part boundary.
_CHARS = st.sampled_from(
    ["a", "a", "a", "ù", " ", "\n", "€", "{", "|", "Ж", "😀", "’", "\u00a0"]
)
_BASIC_CHARS = st.sampled_from(["a", "b", "€", "~", "\f"])


@settings(max_examples=400, deadline=None)
@given(text=st.text(_CHARS, max_size=700), unicode=st.booleans())
def test_parts_match_brute_force(text, unicode):
    encoding, sizes = brute_force_parts(text, unicode=unicode)
    info = analyze(text, unicode=unicode)
    assert info.encoding == encoding
    assert info.units == sum(sizes)
    assert info.parts == len(sizes)
    if sizes:
        assert info.remaining == info.per_part - sizes[-1]
    assert parts(text, "UCS-2" if unicode else None) == len(sizes)


@settings(max_examples=400, deadline=None)
@given(text=st.text(_BASIC_CHARS, min_size=140, max_size=1000))
def test_gsm_extension_pairs_match_brute_force(text):
    assert parts(text) == len(brute_force_parts(text)[1])


# Every branch of the Latin-1 fast path: basic and extension chars on both sides of
# Latin-1, ESC and backtick (Latin-1 but not GSM-7), and non-GSM chars beyond it.
_TRICKY = st.sampled_from(list("aù£ΔΩ€{\f`\x1báЖ😀"))


@given(st.text(_TRICKY, max_size=30))
def test_gsm_detection_matches_reference(text):
    gsm = all(c in REF_BASIC or c in REF_EXTENSION for c in text)
    assert is_gsm7(text) == gsm
    if gsm:
        assert gsm_units(text) == len(text) + sum(c in REF_EXTENSION for c in text)


@given(st.text())
def test_any_text_is_analyzed_consistently(text):
    info = analyze(text)
    assert info.encoding == ("GSM-7" if is_gsm7(text) else "UCS-2")
    assert info.units == (gsm_units(text) if is_gsm7(text) else ucs2_units(text))
    assert [c for _, c in info.ucs2_chars] == [c for c in text if not is_gsm7(c)]
    assert all(text[i] == c for i, c in info.ucs2_chars)
    assert info.parts == parts(text) == len(brute_force_parts(text)[1])


@given(st.text())
def test_cleaning_never_touches_gsm_chars_and_never_adds_non_gsm(text):
    for clean in (replace_lookalikes, transliterate):
        result = clean(text)
        if is_gsm7(text):
            assert result == text
        non_gsm = {c for c in unicodedata.normalize("NFC", text) if not is_gsm7(c)}
        assert {c for c in result if not is_gsm7(c)} <= non_gsm
