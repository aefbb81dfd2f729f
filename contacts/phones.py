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
read at runtime from phonenumbers' own metadata (``PhoneMetadata``: number
patterns, possible lengths, international and national prefixes, national-prefix
transform rules, leading digits), compiled once per territory and cached; no
numbering-plan data is copied into this module. Anything outside that shape
(letters, extensions, ``tel:`` URIs, non-ASCII digits, fewer than three digits,
metadata shapes it does not model, unknown default regions) is handed to
:func:`normalize_slow`, which stays the truth. The property tests in
``tests/contacts/test_phones.py`` check that both paths agree on every input.

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

import functools
import re
from typing import NamedTuple

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    REGION_CODE_FOR_NON_GEO_ENTITY,
    SUPPORTED_REGIONS,
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc


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

# phonenumbers' own limits (phonenumberutil._MIN/_MAX_LENGTH_FOR_NSN and
# _MAX_INPUT_STRING_LENGTH): part of the parse algorithm, not numbering-plan data.
_MIN_NSN = 2
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

# Number types other than fixed line and mobile, in the order in which
# phonenumbers' _number_type_helper tests them; all of them map to "other".
_OTHER_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
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


def _iso_region(region: str | None) -> str:
    """Hide phonenumbers' "001" (non-geographic) and None: not ISO regions."""
    if region is None or region == REGION_CODE_FOR_NON_GEO_ENTITY:
        return ""
    return region


def _parse_slow(text: str, region: str) -> PhoneResult:
    """The reference behaviour: public phonenumbers API on a pre-cleaned string."""
    if not text:
        return _EMPTY
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return PhoneResult("", False, _PARSE_ERROR_REASONS[exc.error_type], "", "")
    where = _iso_region(phonenumbers.region_code_for_number(number))
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


class _Unsupported(Exception):
    """Metadata shaped in a way the fast path does not model (slow path instead)."""


def _desc_usable(desc: PhoneNumberDesc | None, length: int) -> bool:
    """Mirror of the length gate in phonenumbers' _is_number_matching_desc."""
    return (
        desc is not None
        and bool(desc.national_number_pattern)
        and (not desc.possible_length or length in desc.possible_length)
    )


class _Territory:
    """One ``PhoneMetadata`` compiled for repeated use.

    phonenumbers recompiles (or looks up) each metadata regex on every call and
    tests number types one pattern at a time; here every rule is compiled once,
    and the type test is folded into a single regex per number length.
    """

    __slots__ = (
        "_general",
        "_kinds",
        "_metadata",
        "_np_rule",
        "_verdicts",
        "leading_digits",
        "national_prefix",
    )

    def __init__(self, metadata: PhoneMetadata) -> None:
        general = metadata.general_desc
        if general is None or not general.national_number_pattern:
            raise _Unsupported(metadata.id)
        lengths = tuple(general.possible_length)
        if not lengths or lengths[0] < _MIN_NSN:  # _finish relies on the minimum
            raise _Unsupported(metadata.id)
        descs = [general, metadata.fixed_line, metadata.mobile]
        descs += [getattr(metadata, name) for name in _OTHER_TYPE_DESCS]
        # Type patterns are combined into one regex below; capturing groups inside
        # them would break the group bookkeeping (none exist in current metadata).
        if any(
            re.compile(desc.national_number_pattern).groups
            for desc in descs
            if desc is not None and desc.national_number_pattern
        ):
            raise _Unsupported(metadata.id)
        self._metadata = metadata
        self._general = re.compile(general.national_number_pattern).fullmatch
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None
        self._np_rule = metadata.national_prefix_transform_rule or None
        if self._np_rule is not None and (
            self.national_prefix is None or not self.national_prefix.groups
        ):
            raise _Unsupported(metadata.id)  # phonenumbers itself would crash here
        leading = metadata.leading_digits
        self.leading_digits = None if leading is None else re.compile(leading).match
        local = tuple(general.possible_length_local_only)
        self._verdicts = tuple(
            self._length_verdict(n, lengths, local)
            for n in range(max((*lengths, *local)) + 1)
        )
        self._kinds: dict[int, re.Pattern[str] | None] = {}

    @staticmethod
    def _length_verdict(
        n: int, lengths: tuple[int, ...], local: tuple[int, ...]
    ) -> int:
        """phonenumbers' _test_number_length for the general description."""
        if n in local:
            return ValidationResult.IS_POSSIBLE_LOCAL_ONLY
        if lengths[0] == n:
            return ValidationResult.IS_POSSIBLE
        if lengths[0] > n:
            return ValidationResult.TOO_SHORT
        if lengths[-1] < n:
            return ValidationResult.TOO_LONG
        if n in lengths:
            return ValidationResult.IS_POSSIBLE
        return ValidationResult.INVALID_LENGTH

    def verdict(self, length: int) -> int:
        """Possible-length verdict (a ``ValidationResult``) for an NSN length."""
        verdicts = self._verdicts
        return verdicts[length] if length < len(verdicts) else ValidationResult.TOO_LONG

    def strip_national_prefix(self, number: str) -> str:
        """phonenumbers' _maybe_strip_national_prefix_carrier_code, number only."""
        prefix = self.national_prefix
        if prefix is None or not number:
            return number
        match = prefix.match(number)
        if match is None:
            return number
        general = self._general
        rule = self._np_rule
        if rule is None or match.group(prefix.groups) is None:
            stripped = number[match.end() :]
        else:
            stripped = prefix.sub(rule, number, count=1)
        if general(stripped) is None and general(number) is not None:
            return number
        return stripped

    def matches_general(self, number: str) -> bool:
        """Pattern-only check, as phonenumbers' _match_national_number."""
        return self._general(number) is not None

    def kind(self, nsn: str) -> str:
        """Return "mobile", "fixed", "other", or "" for phonenumbers' UNKNOWN."""
        length = len(nsn)
        try:
            pattern = self._kinds[length]
        except KeyError:
            pattern = self._kinds[length] = self._kind_pattern(length)
        if pattern is not None:
            match = pattern.fullmatch(nsn)
            if match is not None:
                return match.lastgroup or ""
        return ""

    def _kind_pattern(self, length: int) -> re.Pattern[str] | None:
        """Fold _number_type_helper into one regex for numbers of ``length`` digits.

        A lookahead enforces the general description; then one named group per
        outcome, in the order phonenumbers tries them (non fixed/mobile types
        first). Regex alternation is ordered, so the first alternative that fully
        matches wins, exactly like the helper's sequence of ``if`` tests. Types
        whose possible lengths exclude ``length`` are left out, as the helper
        skips them. Fixed line also matching mobile is FIXED_LINE_OR_MOBILE, which
        we report as "mobile": hence mobile is tried before fixed.
        """
        metadata = self._metadata
        if not _desc_usable(metadata.general_desc, length):
            return None
        outcomes: list[tuple[str, list[str]]] = []
        others = [getattr(metadata, name) for name in _OTHER_TYPE_DESCS]
        other = [d.national_number_pattern for d in others if _desc_usable(d, length)]
        if other:
            outcomes.append(("other", other))
        fixed, mobile = metadata.fixed_line, metadata.mobile
        if metadata.same_mobile_and_fixed_line_pattern:
            # phonenumbers only consults the fixed-line description in this case.
            if _desc_usable(fixed, length):
                outcomes.append(("mobile", [fixed.national_number_pattern]))
        else:
            if _desc_usable(mobile, length):
                outcomes.append(("mobile", [mobile.national_number_pattern]))
            if _desc_usable(fixed, length):
                outcomes.append(("fixed", [fixed.national_number_pattern]))
        if not outcomes:
            return None
        body = "|".join(f"(?P<{name}>{'|'.join(pats)})" for name, pats in outcomes)
        general = metadata.general_desc.national_number_pattern
        return re.compile(rf"(?=(?:{general})\Z)(?:{body})")


class _CallingCode:
    """Everything needed once a country calling code is known.

    ``main`` is the territory parse() uses for national-prefix stripping and
    is_possible_number() uses for lengths; ``regions`` replays
    region_code_for_number() for codes shared by several regions (+1, +7, +39...).
    """

    __slots__ = ("e164_prefix", "main", "main_decides", "main_region", "regions")

    def __init__(self, code: int) -> None:
        self.e164_prefix = f"+{code}"
        self.regions = tuple(
            (_iso_region(region), _territory(code, region))
            for region in COUNTRY_CODE_TO_REGION_CODE[code]
        )
        self.main_region, self.main = self.regions[0]
        # region_code_for_number() settles on the main region without looking
        # further when it is the only one, or when it has no leading-digits rule
        # and the number is valid there (which _finish checks first).
        self.main_decides = len(self.regions) == 1 or self.main.leading_digits is None

    def resolve(self, nsn: str) -> tuple[str, str]:
        """Return (region, kind) as region_code_for_number + number_type would."""
        if len(self.regions) == 1:
            return self.main_region, self.main.kind(nsn)
        for region, territory in self.regions:
            leading_digits = territory.leading_digits
            if leading_digits is None:
                kind = territory.kind(nsn)
                if kind:
                    return region, kind
            elif leading_digits(nsn):
                return region, territory.kind(nsn)
        return "", ""


@functools.cache
def _territory(code: int, region: str) -> _Territory:
    """Compiled metadata, shared by every normaliser (metadata is immutable)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None:
        raise _Unsupported(region)
    return _Territory(metadata)


@functools.cache
def _calling_code(key: str) -> _CallingCode | None:
    """Compiled data for a calling code, or None to send its numbers to slow."""
    try:
        return _CallingCode(int(key))
    except _Unsupported:
        return None


def _calling_codes_by_prefix() -> dict[str, str]:
    """Map every 3-digit prefix to the calling code it starts with ("" if none).

    Calling codes have at most three digits and phonenumbers'
    _extract_country_code takes the shortest known one, so one dict lookup on
    the first three digits replaces its loop. Built from phonenumbers' own
    COUNTRY_CODE_TO_REGION_CODE at import time.
    """
    known = set(map(str, COUNTRY_CODE_TO_REGION_CODE))
    table = {}
    for number in range(1000):
        prefix = f"{number:03d}"
        heads = (prefix[:1], prefix[:2], prefix)
        table[prefix] = next((head for head in heads if head in known), "")
    return table


_CALLING_CODE_BY_PREFIX = _calling_codes_by_prefix()


class PhoneNormalizer:
    """Fast normaliser for one default region, falling back to the slow path.

    Create one per import (or use :func:`normalize`, which caches them). The
    compiled metadata it uses is shared process-wide and built lazily.
    """

    __slots__ = ("_home_key", "_idd", "_ready", "region")

    def __init__(self, default_region: str) -> None:
        self.region = _canonical_region(default_region)
        # (default region's territory, its calling code); None sends every input
        # to the slow path (unknown region or metadata the fast path can't model).
        self._ready: tuple[_Territory, _CallingCode] | None = None
        self._home_key = ""
        self._idd: re.Pattern[str] | None = None
        if self.region not in SUPPORTED_REGIONS:
            return
        metadata = PhoneMetadata.metadata_for_region(self.region)
        self._home_key = str(metadata.country_code)
        home = _calling_code(self._home_key)
        try:
            plan = _territory(metadata.country_code, self.region)
        except _Unsupported:
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
            key = _CALLING_CODE_BY_PREFIX[digits[:3]]
            if key:
                code = _calling_code(key)
                if code is None:
                    return None
                return _finish(code.main, code, digits[len(key) :])
        return self._without_plus(*ready, digits, plus)

    def _without_plus(
        self, plan: _Territory, home: _CallingCode, digits: str, after_plus: bool
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
                if len(rest) <= _MIN_NSN:
                    return _TOO_SHORT
                key = _CALLING_CODE_BY_PREFIX[rest[:3]]
                if not key:
                    return _BAD_COUNTRY_CODE
                code = _calling_code(key)
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


def _finish(plan: _Territory, code: _CallingCode, national: str) -> PhoneResult:
    """National-prefix stripping, length limits and validation, as parse() does.

    ``plan`` is the territory parse() strips national prefixes with: the calling
    code's main region once a code was read, else the default region.
    """
    if len(national) < _MIN_NSN:
        return _TOO_SHORT
    if plan.national_prefix is not None:
        stripped = plan.strip_national_prefix(national)
        if stripped != national and plan.verdict(len(stripped)) in _STRIP_ACCEPTED:
            national = stripped
    # No second "too short" check as in parse(): a stripped number is only kept
    # at a possible length, and _Territory insists those are at least _MIN_NSN.
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


@functools.cache
def _normalizer(default_region: str) -> PhoneNormalizer:
    return PhoneNormalizer(default_region)


def normalize(raw: str, default_region: str) -> PhoneResult:
    """Convenience wrapper with one cached :class:`PhoneNormalizer` per region."""
    return _normalizer(default_region).normalize(raw)
