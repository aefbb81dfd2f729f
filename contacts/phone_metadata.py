"""phonenumbers' metadata compiled for the fast path of `contacts.phones`.

Every rule here is read at runtime from phonenumbers' own ``PhoneMetadata``
(number patterns, possible lengths, national prefixes and their transform
rules, leading digits), compiled once per territory and cached; no
numbering-plan data is copied. What these classes replay are phonenumbers'
*algorithms* (``_test_number_length``, ``_maybe_strip_national_prefix_carrier_code``,
``_number_type_helper``, ``region_code_for_number``), which are private and may
change in any release: the equivalence property test in
``tests/contacts/test_phones.py`` is the gate for every phonenumbers upgrade,
and pyproject.toml pins phonenumbers to the minor version it last passed on.
"""

from __future__ import annotations

import functools
import re

from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    REGION_CODE_FOR_NON_GEO_ENTITY,
    ValidationResult,
)
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

# phonenumberutil._MIN_LENGTH_FOR_NSN: part of the parse algorithm, not plan data.
MIN_NSN = 2

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


def iso_region(region: str | None) -> str:
    """Hide phonenumbers' "001" (non-geographic) and None: not ISO regions."""
    if region is None or region == REGION_CODE_FOR_NON_GEO_ENTITY:
        return ""
    return region


class Unsupported(Exception):
    """Metadata shaped in a way the fast path does not model (slow path instead)."""


def _desc_usable(desc: PhoneNumberDesc | None, length: int) -> bool:
    """Mirror of the length gate in phonenumbers' _is_number_matching_desc."""
    return (
        desc is not None
        and bool(desc.national_number_pattern)
        and (not desc.possible_length or length in desc.possible_length)
    )


class Territory:
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
            raise Unsupported(metadata.id)
        lengths = tuple(general.possible_length)
        if not lengths or lengths[0] < MIN_NSN:  # _finish relies on the minimum
            raise Unsupported(metadata.id)
        descs = [general, metadata.fixed_line, metadata.mobile]
        descs += [getattr(metadata, name) for name in _OTHER_TYPE_DESCS]
        # Type patterns are combined into one regex below; capturing groups inside
        # them would break the group bookkeeping (none exist in current metadata).
        if any(
            re.compile(desc.national_number_pattern).groups
            for desc in descs
            if desc is not None and desc.national_number_pattern
        ):
            raise Unsupported(metadata.id)
        self._metadata = metadata
        self._general = re.compile(general.national_number_pattern).fullmatch
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None
        self._np_rule = metadata.national_prefix_transform_rule or None
        if self._np_rule is not None and (
            self.national_prefix is None or not self.national_prefix.groups
        ):
            raise Unsupported(metadata.id)  # phonenumbers itself would crash here
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


class CallingCode:
    """Everything needed once a country calling code is known.

    ``main`` is the territory parse() uses for national-prefix stripping and
    is_possible_number() uses for lengths; ``regions`` replays
    region_code_for_number() for codes shared by several regions (+1, +7, +39...).
    """

    __slots__ = ("e164_prefix", "main", "main_decides", "main_region", "regions")

    def __init__(self, code: int) -> None:
        self.e164_prefix = f"+{code}"
        self.regions = tuple(
            (iso_region(region), territory(code, region))
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
def territory(code: int, region: str) -> Territory:
    """Compiled metadata, shared by every normaliser (metadata is immutable)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None:
        raise Unsupported(region)
    return Territory(metadata)


@functools.cache
def calling_code(key: str) -> CallingCode | None:
    """Compiled data for a calling code, or None to send its numbers to slow."""
    try:
        return CallingCode(int(key))
    except Unsupported:
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


CALLING_CODE_BY_PREFIX = _calling_codes_by_prefix()
