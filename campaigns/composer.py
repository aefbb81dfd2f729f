"""What the composer shows while the marketer types: the counter and the preview.

Both only describe; the numbers come from `segments.analyze` and the texts from
`personalization.render`, the same functions the quote and the sender use, so the
counter never disagrees with the bill.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from campaigns.quotes import CONTACT_FIELDS
from campaigns.selectors import preview_contacts
from campaigns.services import RICH_MAX_CHARS
from contacts.columns import FIRST_NAME_ALIASES, LAST_NAME_ALIASES, header_key
from contacts.models import Contact, ContactList
from messaging import segments
from messaging.models import Channel
from messaging.personalization import placeholders, render


@dataclass(frozen=True)
class Culprit:
    """A character that forces UCS-2: what it is, in the user's language, and how
    often it occurs. `unicode_name` is the standard's English name (a tooltip)."""

    char: str
    name: str
    count: int
    replacement: str | None  # the GSM-7 look-alike, when there is one
    unicode_name: str = ""


@dataclass(frozen=True)
class Counter:
    """The composer's counter for one text as it stands."""

    channel: str
    characters: int
    info: segments.SmsInfo | None  # None for RCS and WhatsApp: no parts there
    max_parts: int
    max_chars: int
    fields: list[str] = field(default_factory=list)
    culprits: list[Culprit] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)  # extension chars present
    fixed: segments.SmsInfo | None = None  # after replacing look-alikes
    # With fields: the previewed contacts' own messages, counted one by one.
    samples: list[segments.SmsInfo] = field(default_factory=list)

    @property
    def sample_parts(self) -> tuple[int, int] | None:
        """Fewest and most parts among the previewed contacts' messages."""
        if not self.samples:
            return None
        counts = [info.parts for info in self.samples]
        return min(counts), max(counts)

    @property
    def longest(self) -> segments.SmsInfo | None:
        """The message the counter speaks for: with fields, the longest previewed
        recipient's (most parts, then fewest characters left), else the text's.

        "Left in this part" for the fixed text alone promised room that the
        recipients' own names then used up.
        """
        if not self.samples:
            return self.info
        return max(self.samples, key=lambda info: (info.parts, -info.remaining))

    @property
    def is_ucs2_by_data(self) -> bool:
        """The template is GSM-7 but some contacts' own values need UCS-2."""
        return (
            self.info is not None
            and self.info.encoding == "GSM-7"
            and any(info.encoding == "UCS-2" for info in self.samples)
        )

    @property
    def encoding(self) -> str:
        """GSM-7, UCS-2, or both when some contacts' own data needs UCS-2."""
        if self.info is None:
            return ""
        encodings = {self.info.encoding} | {info.encoding for info in self.samples}
        return " / ".join(sorted(encodings))

    @property
    def fill_percent(self) -> int:
        """How full the current part is, for the meter."""
        if self.info is None:
            return min(100, 100 * self.characters // self.max_chars)
        info = self.longest or self.info
        if not info.parts:
            return 0
        used = info.per_part - info.remaining
        return 100 * used // info.per_part

    @property
    def too_long(self) -> bool:
        if self.info is not None:
            return self.info.too_long
        return self.characters > self.max_chars


def counter_for(
    text: str,
    *,
    channel: str,
    unicode: bool,
    samples: list[segments.SmsInfo] | None = None,
) -> Counter:
    """Describe `text` for the counter.

    With placeholders, `info` covers the fixed text (fields removed) and `samples`
    are real contacts' messages: each recipient's parts depend on their own data,
    which the quote then counts for every one of them.
    """
    fields = placeholders(text)
    if channel != Channel.SMS:
        return Counter(
            channel=channel,
            characters=len(text),
            info=None,
            max_parts=1,
            max_chars=RICH_MAX_CHARS,
            fields=fields,
        )
    fixed_text = render(text, {}) if fields else text
    max_parts = settings.SMS_MAX_PARTS
    info = segments.analyze(fixed_text, unicode=unicode, max_parts=max_parts)
    culprits = _culprits(fixed_text, info)
    fixed = None
    if culprits and not unicode:
        replaced = segments.replace_lookalikes(fixed_text)
        if replaced != fixed_text:
            candidate = segments.analyze(replaced, max_parts=max_parts)
            # Offered only when it changes what is sent: the encoding or the parts.
            if (candidate.encoding, candidate.parts) != (info.encoding, info.parts):
                fixed = candidate
    doubled = []
    if info.encoding == "GSM-7":
        doubled = sorted({c for c in fixed_text if c in segments.GSM_EXTENSION})
    return Counter(
        channel=channel,
        characters=len(fixed_text),
        info=info,
        max_parts=max_parts,
        max_chars=RICH_MAX_CHARS,
        fields=fields,
        culprits=culprits,
        doubled=doubled,
        fixed=fixed,
        samples=list(samples or []) if fields else [],
    )


def describe_char(char: str) -> str:
    """A short description of a character GSM-7 lacks, in the active language.

    Unicode's names are English only ("Wrapped Present"); what the marketer
    needs is the kind of character, next to the character itself.
    """
    category = unicodedata.category(char)
    if category in {"Pi", "Pf"} or char in "\u201a\u201e":  # low-9 quotes are Ps
        return _("curly quote")
    if category == "Pd":
        return _("long dash")
    if category.startswith("Z") or char in "\u200b\u2060\ufeff":
        return _("special space")
    if category in {"So", "Sk", "Cs"} or ord(char) > 0xFFFF:
        return _("emoji or symbol")
    if category.startswith("L"):
        return _("letter GSM-7 lacks")
    if category.startswith("P"):
        return _("punctuation mark GSM-7 lacks")
    if category.startswith("S"):
        return _("symbol GSM-7 lacks")
    return _("character GSM-7 lacks")


def _culprits(text: str, info: segments.SmsInfo) -> list[Culprit]:
    counts: dict[str, int] = {}
    for _index, char in info.ucs2_chars:
        counts[char] = counts.get(char, 0) + 1
    return [
        Culprit(
            char=char,
            name=describe_char(char),
            count=n,
            replacement=segments.LOOKALIKES.get(char),
            unicode_name=unicodedata.name(char, f"U+{ord(char):04X}").title(),
        )
        for char, n in counts.items()
    ]


@dataclass(frozen=True)
class PreviewRow:
    """One real contact's message, counted on its own."""

    who: str
    phone: str
    text: str
    info: segments.SmsInfo | None
    empty_fields: list[str]


def contact_values(contact: Contact, *, transliterate: bool) -> dict[str, str]:
    """The placeholder values of one contact, keyed as the quote keys them."""
    values = {name: getattr(contact, name) or "" for name in CONTACT_FIELDS}
    values.update({str(k).lower(): str(v) for k, v in contact.attributes.items()})
    if transliterate:
        values = {k: segments.transliterate(v) for k, v in values.items()}
    return values


def preview_for(
    text: str,
    *,
    contact_list: ContactList | None,
    channel: str,
    unicode: bool,
    transliterate: bool,
    limit: int = 3,
) -> list[PreviewRow]:
    """The message as the first few valid contacts of `contact_list` would get it."""
    if contact_list is None or not text:
        return []
    names = placeholders(text)
    rows = []
    for contact in preview_contacts(contact_list=contact_list, limit=limit):
        values = contact_values(contact, transliterate=transliterate)
        message = render(text, values)
        info = None
        if channel == Channel.SMS:
            info = segments.analyze(
                message, unicode=unicode, max_parts=settings.SMS_MAX_PARTS
            )
        who = f"{contact.first_name} {contact.last_name}".strip() or contact.phone
        rows.append(
            PreviewRow(
                who=who,
                phone=contact.phone,
                text=message,
                info=info,
                empty_fields=[n for n in names if not values.get(n)],
            )
        )
    return rows


def available_fields(contact_list: ContactList | None) -> list[str]:
    """Placeholders the composer offers: every contact's fields, then the list's."""
    extra = [
        str(k).lower() for k in (contact_list.attribute_keys if contact_list else [])
    ]
    return list(dict.fromkeys([*CONTACT_FIELDS, *extra]))


def unknown_fields(text: str, available: Sequence[str]) -> list[tuple[str, str]]:
    """The placeholders of `text` the list has no column for, each with the field
    it most likely means, or "".

    An upload reads a "Nome" header as `first_name`, so `{{nome}}` is what an
    Italian marketer types first: it would render empty for every recipient.
    """
    known = set(available)
    unknown = []
    for name in dict.fromkeys(placeholders(text)):
        if name in known:
            continue
        key = header_key(name)
        if key in FIRST_NAME_ALIASES and "first_name" in known:
            meant = "first_name"
        elif key in LAST_NAME_ALIASES and "last_name" in known:
            meant = "last_name"
        else:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
            meant = close[0] if close else ""
        unknown.append((name, meant))
    return unknown
