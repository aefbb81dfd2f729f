"""Phone-number normalisation for contact imports.

Why two paths
-------------
``phonenumbers`` (the Python port of Google's libphonenumber) is the source of
truth for what a valid number is. Going through its public API (``parse``,
``is_valid_number``, ``number_type``, ``format_number``) costs roughly 45 us per
number, i.e. ~45 s for a one-million-row contact list, while imports must finish
in well under 30 s. Most of that time is generic work (extension and RFC 3966
handling, alpha conversion, unicode digit folding, recompiling metadata regexes,
building ``PhoneNumber`` objects) that the typical spreadsheet cell never needs.

:class:`PhoneNormalizer` therefore replays the *same* decisions as
``phonenumbers.parse`` and the validity checks, but only for the input shape that
covers nearly every real cell: ASCII digits, at most one leading ``+`` and common
separators (spaces, dashes, dots, slashes, brackets). Every rule it applies is
read at runtime from phonenumbers' own metadata, compiled once per territory by
`contacts.phone_metadata`; no numbering-plan data is copied. Anything outside
that shape (letters, extensions, ``tel:`` URIs, non-ASCII digits, fewer than three
digits, metadata shapes it does not model, unknown default regions) is handed to
:func:`normalize_slow`, which stays the truth.

Upgrading phonenumbers
----------------------
The fast path replays phonenumbers' private algorithms, not just its data, so a
release may change an answer without changing any public API. The equivalence
property test (``tests/contacts/test_phones.py``: both paths on 100,000+
generated cells over eleven regions, plus every region's example numbers) is
the gate for every upgrade: pyproject.toml pins phonenumbers to the minor
version it last passed on, and widening that pin needs the test green first.

Pre-cleaning (shared by both paths)
-----------------------------------
Spreadsheets add artefacts that ``phonenumbers`` would misread, so both paths
first apply :func:`preclean`: surrounding whitespace (including non-breaking
spaces) is stripped, a leading apostrophe (Excel's "store as text" marker) is
dropped, and a trailing ``.0`` on an otherwise all-digit value is treated as an
Excel float artefact and removed (``3331234567.0`` -> ``3331234567``); without
this the ``0`` would become an extra digit.

Result fields
-------------
``region`` is what ``phonenumbers.region_code_for_number`` says, also for numbers
that parse but are invalid: ``+33 12`` reports ``FR``, but an invalid ``+39`` or
``+1`` number reports ``""`` because those codes are shared by several regions and
phonenumbers cannot tell which one it belongs to. The non-geographic "001" (e.g.
+800 freephone) is also reported as ``""``: the field is an ISO 3166 region.
Numbers that do not even parse have no region.

``reason`` comes from the ``NumberParseException`` type, or for parsed numbers
from ``is_possible_number_with_reason``; a number that is possible only as a local
number (area code missing) counts as "too_short".
"""

from __future__ import annotations

import re
from typing import NamedTuple

import phonenumbers
from phonenumbers import (
    SUPPORTED_REGIONS,
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)
from phonenumbers.phonemetadata import PhoneMetadata

from contacts.phone_metadata import (
    CALLING_CODE_BY_PREFIX,
    MIN_NSN,
    CallingCode,
    Territory,
    Unsupported,
    calling_code,
    iso_region,
    territory,
)


class PhoneResult(NamedTuple):
    """Outcome of normalising one raw cell; identical whichever path produced it."""

    e164: str
    valid: bool
    reason: str
    region: str
    number_type: str


REASON_LABELS: dict[str, str] = {
    "empty": "No phone number given",
    "not_a_number": "Does not look like a phone number",
    "invalid_country_code": "Unknown or missing country code",
    "too_short": "Too short for a phone number",
    "too_long": "Too long for a phone number",
    "invalid_number": "Not a valid number for its country",
}

_PARSE_ERROR_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}
# Why a parsed number is still not valid, from is_possible_number_with_reason().
# "Possible only as a local number" means the area code is missing: too short to
# text. A possible length that matches no pattern is simply an invalid number.
_LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.IS_POSSIBLE: "invalid_number",
    ValidationResult.INVALID_LENGTH: "invalid_number",
}
_NUMBER_TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed",
}

_EMPTY = PhoneResult("", False, "empty", "", "")
_TOO_SHORT = PhoneResult("", False, "too_short", "", "")
_TOO_LONG = PhoneResult("", False, "too_long", "", "")
_BAD_COUNTRY_CODE = PhoneResult("", False, "invalid_country_code", "", "")

# phonenumbers' own limits (phonenumberutil._MAX_LENGTH_FOR_NSN and
# _MAX_INPUT_STRING_LENGTH): part of the parse algorithm, not numbering-plan data.
_MAX_NSN = 17
_MAX_INPUT = 250
# Fewer digits than this and parse() applies its special two-digit viability rule,
# which depends on the punctuation layout; not worth modelling.
_MIN_FAST_DIGITS = 3

# Separators the fast path may delete. All belong to phonenumbers' VALID_PUNCTUATION,
# so parse() ignores them wherever they appear between a leading "+" and the digits.
# The letter "x" and "~" are deliberately absent: they can introduce extensions.
# ASCII ones are deleted with bytes.translate, ~4x faster than str.translate with a
# mapping; the rarer non-ASCII ones (no-break space, dashes) are removed first.
_ASCII_SEPARATORS = b" -./()[]"
_UNICODE_SEPARATORS = dict.fromkeys(
    map(ord, "\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), None
)

_STRIP_ACCEPTED = (ValidationResult.IS_POSSIBLE, ValidationResult.TOO_LONG)


def preclean(raw: str) -> str:
    """Remove spreadsheet artefacts; applied before both paths so they agree.

    Strips surrounding whitespace (``str.strip`` also removes non-breaking
    spaces), one leading apostrophe (Excel text-cell marker) and, on an
    all-digit value, a trailing ``.0`` left by a numeric cell exported as float.
    """
    text = raw.strip()
    if text[:1] == "'":
        text = text[1:].lstrip()
    if text.endswith(".0"):
        head = text[:-2]
        if head.isdigit() and head.isascii():
            text = head
    return text


def _canonical_region(default_region: str) -> str:
    """Upper-case the region so "it" works like "IT" (phonenumbers rejects it)."""
    return (default_region or "").strip().upper()


def _parse_slow(text: str, region: str) -> PhoneResult:
    """The reference behaviour: public phonenumbers API on a pre-cleaned string."""
    if not text:
        return _EMPTY
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return PhoneResult("", False, _PARSE_ERROR_REASONS[exc.error_type], "", "")
    where = iso_region(phonenumbers.region_code_for_number(number))
    if phonenumbers.is_valid_number(number):
        return PhoneResult(
            phonenumbers.format_number(number, PhoneNumberFormat.E164),
            True,
            "",
            where,
            _NUMBER_TYPES.get(phonenumbers.number_type(number), "other"),
        )
    possible = phonenumbers.is_possible_number_with_reason(number)
    return PhoneResult("", False, _LENGTH_REASONS[possible], where, "")


def normalize_slow(raw: str, default_region: str) -> PhoneResult:
    """Normalise with the plain phonenumbers API (after :func:`preclean`).

    This is the truth the fast path is tested against, and its fallback.
    """
    return _parse_slow(preclean(raw), _canonical_region(default_region))


class PhoneNormalizer:
    """Fast normaliser for one default region, falling back to the slow path.

    Create one per import, list or request. The compiled metadata it uses is
    shared process-wide and built lazily.
    """

    __slots__ = ("_home_key", "_idd", "_ready", "region")

    def __init__(self, default_region: str) -> None:
        self.region = _canonical_region(default_region)
        # (default region's territory, its calling code); None sends every input
        # to the slow path (unknown region or metadata the fast path can't model).
        self._ready: tuple[Territory, CallingCode] | None = None
        self._home_key = ""
        self._idd: re.Pattern[str] | None = None
        if self.region not in SUPPORTED_REGIONS:
            return
        metadata = PhoneMetadata.metadata_for_region(self.region)
        self._home_key = str(metadata.country_code)
        home = calling_code(self._home_key)
        try:
            plan = territory(metadata.country_code, self.region)
        except Unsupported:
            return
        if home is not None:
            self._ready = (plan, home)
        # No international prefix: phonenumbers substitutes a never-matching one.
        if metadata.international_prefix is not None:
            self._idd = re.compile(metadata.international_prefix)

    def normalize(self, raw: str) -> PhoneResult:
        """Normalise one cell; same answer as :func:`normalize_slow`, faster."""
        text = preclean(raw)
        result = self._fast(text)
        return result if result is not None else _parse_slow(text, self.region)

    def fast_only(self, raw: str) -> PhoneResult | None:
        """Fast-path answer, or None where :meth:`normalize` would fall back.

        Exposed so tests and benchmarks can prove the fast path is really taken.
        """
        return self._fast(preclean(raw))

    def _fast(self, text: str) -> PhoneResult | None:
        """Replay parse() for digits, separators and one leading "+"."""
        if not text:
            return _EMPTY
        ready = self._ready
        if ready is None or len(text) > _MAX_INPUT:
            return None
        if not text.isascii():
            text = text.translate(_UNICODE_SEPARATORS)
            if not text.isascii():
                return None
        packed = text.encode().translate(None, _ASCII_SEPARATORS)
        plus = packed[:1] == b"+"
        if plus:
            packed = packed[1:]
        # bytes.isdigit() is ASCII-only: other scripts' digits go to the slow path.
        if len(packed) < _MIN_FAST_DIGITS or not packed.isdigit():
            return None
        digits = packed.decode()
        if plus:
            key = CALLING_CODE_BY_PREFIX[digits[:3]]
            if key:
                code = calling_code(key)
                if code is None:
                    return None
                return _finish(code.main, code, digits[len(key) :])
        return self._without_plus(*ready, digits, plus)

    def _without_plus(
        self, plan: Territory, home: CallingCode, digits: str, after_plus: bool
    ) -> PhoneResult | None:
        """International prefix, then the default region's own calling code.

        Also used when "+" is followed by an unknown calling code: parse() then
        retries without the plus, and only fails if no calling code turns up.
        """
        idd = self._idd.match(digits) if self._idd is not None else None
        if idd is not None:
            rest = digits[idd.end() :]
            # A "0" after the prefix means it was not an international prefix.
            if rest[:1] != "0":
                if len(rest) <= MIN_NSN:
                    return _TOO_SHORT
                key = CALLING_CODE_BY_PREFIX[rest[:3]]
                if not key:
                    return _BAD_COUNTRY_CODE
                code = calling_code(key)
                if code is None:
                    return None
                return _finish(code.main, code, rest[len(key) :])
        home_key = self._home_key
        if digits.startswith(home_key):
            # e.g. "393331234567" in Italy: drop the "39" only if that turns an
            # invalid pattern into a valid one, or the number is too long with it.
            national = plan.strip_national_prefix(digits[len(home_key) :])
            if (
                not plan.matches_general(digits) and plan.matches_general(national)
            ) or plan.verdict(len(digits)) == ValidationResult.TOO_LONG:
                return _finish(home.main, home, national)
        if after_plus:
            return _BAD_COUNTRY_CODE
        return _finish(plan, home, digits)


# PhoneResult(...) goes through a Python-level __new__; tuple.__new__ builds the
# same NamedTuple in half the time, which is measurable at a million rows.
_new_result = tuple.__new__


def _finish(plan: Territory, code: CallingCode, national: str) -> PhoneResult:
    """National-prefix stripping, length limits and validation, as parse() does.

    ``plan`` is the territory parse() strips national prefixes with: the calling
    code's main region once a code was read, else the default region.
    """
    if len(national) < MIN_NSN:
        return _TOO_SHORT
    if plan.national_prefix is not None:
        stripped = plan.strip_national_prefix(national)
        if stripped != national and plan.verdict(len(stripped)) in _STRIP_ACCEPTED:
            national = stripped
    # No second "too short" check as in parse(): a stripped number is only kept
    # at a possible length, and Territory insists those are at least MIN_NSN.
    length = len(national)
    if length > _MAX_NSN:
        return _TOO_LONG
    # Shortcut for the common case; resolve() replays the full region search.
    kind = code.main.kind(national) if code.main_decides else ""
    if kind:
        region = code.main_region
    else:
        region, kind = code.resolve(national)
    if kind:
        return _new_result(
            PhoneResult, (code.e164_prefix + national, True, "", region, kind)
        )
    reason = _LENGTH_REASONS[code.main.verdict(length)]
    return _new_result(PhoneResult, ("", False, reason, region, ""))
