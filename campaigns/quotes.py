"""Cost calculation: who receives a campaign, in how many parts, at what price.

Counting is set-based SQL over the list (one aggregate, one GROUP BY). Only a
personalized SMS needs each recipient's own text: its parts are counted in one
streamed pass that reads only the placeholders' values, so a million recipients
take seconds. Who may be messaged is the contacts app's rule (`sendable_contacts`).

An RCS/WhatsApp campaign with SMS fallback is priced for the worst case: every
recipient also gets the SMS. The price (and the reservation) is the sum of both
channels' costs, each rounded to the cent, shown per channel (`channels`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.money import to_cents
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import Campaign
from contacts.models import Contact, ContactStatus, NumberType
from contacts.selectors import sendable_contacts, suppressed_q
from messaging import segments
from messaging.models import Channel
from messaging.personalization import pieces, placeholders, render
from messaging.pricing import PriceBook, estimated_duration
from messaging.whatsapp_templates import TemplateSend, template_send

# Recipients the cost step names among those whose own data needs UCS-2.
UCS2_EXAMPLES = 5
# Fields every contact has; a list's attribute keys add to them.
CONTACT_FIELDS = ("first_name", "last_name", "phone")


def without_ucs2(text: str) -> str:
    """The text with look-alikes replaced and every other character GSM-7 lacks
    (emoji, symbols) removed: the cheapest GSM-7 spelling of the fixed text."""
    return "".join(
        char for char in segments.replace_lookalikes(text) if segments.is_gsm7(char)
    )


def recipients(campaign: Campaign) -> QuerySet[Contact]:
    """The contacts a campaign goes to: valid, not suppressed, landlines only when
    asked for, capped by the goal."""
    chosen = sendable_contacts(
        account=campaign.account_id, contact_list=campaign.contact_list_id
    )
    if not campaign.include_landlines:
        chosen = chosen.exclude(number_type=NumberType.FIXED)
    if campaign.goal_contact_count:
        first = chosen.order_by("id").values("id")[: campaign.goal_contact_count]
        chosen = Contact.objects.filter(id__in=Subquery(first))
    return chosen


@dataclass
class Quote:
    """The result of a cost calculation, stored on the campaign."""

    total: int
    last_contact_id: int | None
    valid: int
    malformed: int
    duplicates: int
    blacklisted: int
    recipients: int
    parts: int
    encoding: str
    parts_per_message: int | None
    cost: Decimal
    unit_price: Decimal
    currency: str
    duration: str
    by_country: list[dict] = field(default_factory=list)
    parts_histogram: dict[str, int] = field(default_factory=dict)
    insights: dict = field(default_factory=dict)
    # Per channel ("sms", "rcs", "whatsapp"): recipients, parts, cost (a string).
    channels: dict[str, dict] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The breakdowns for `Campaign.quote` (amounts as strings: JSON has no Decimal)."""
        return {
            "channels": self.channels,
            "byCountry": self.by_country,
            "partsHistogram": self.parts_histogram,
            "insights": self.insights,
            "unitPrice": str(self.unit_price),
            "currency": self.currency,
            "estimatedDuration": self.duration,
        }


@dataclass
class _Tally:
    """Parts per destination country, for one way of writing the message."""

    parts_by_country: Counter = field(default_factory=Counter)

    def cost(self, book: PriceBook) -> Decimal:
        return sum(
            (
                n * book.unit_price(country)
                for country, n in self.parts_by_country.items()
            ),
            Decimal("0"),
        )


def quote_calculate(campaign: Campaign) -> Quote:
    """Validate the recipients and price the campaign as it is configured now."""
    counts = Contact.objects.filter(contact_list_id=campaign.contact_list_id).aggregate(
        total=Count("id"),
        last_contact_id=Max("id"),
        malformed=Count("id", filter=Q(status=ContactStatus.INVALID)),
        duplicates=Count("id", filter=Q(status=ContactStatus.DUPLICATE)),
        blacklisted=Count(
            "id",
            filter=Q(status=ContactStatus.VALID)
            & suppressed_q(account=campaign.account_id),
        ),
    )
    # Who may be messaged, by number type (phonenumbers' verdict at import).
    types = dict(
        sendable_contacts(
            account=campaign.account_id, contact_list=campaign.contact_list_id
        )
        .order_by()
        .values_list("number_type")
        .annotate(n=Count("id"))
    )
    number_types = {
        "mobile": types.get(NumberType.MOBILE, 0),
        "fixed": types.get(NumberType.FIXED, 0),
        "unknown": sum(
            n for kind, n in types.items() if kind not in {"mobile", "fixed"}
        ),
    }
    landlines_excluded = 0 if campaign.include_landlines else number_types["fixed"]
    valid = (
        counts["total"]
        - counts["malformed"]
        - counts["duplicates"]
        - counts["blacklisted"]
        - landlines_excluded
    )
    chosen = recipients(campaign)

    is_sms = campaign.channel == Channel.SMS
    personalized = is_sms and bool(placeholders(campaign.text))
    insights: dict = {
        "personalized": personalized,
        "numberTypes": number_types,
        "landlinesExcluded": landlines_excluded,
    }
    if personalized:
        tally, alternatives, histogram, encoding = _personalized_parts(
            campaign, chosen, insights
        )
        parts_per_message = None
    else:
        by_country = dict(
            chosen.order_by().values_list("country").annotate(n=Count("id"))
        )
        if is_sms:
            info = segments.analyze(campaign.text, unicode=campaign.unicode)
            parts_per_message, encoding = info.parts, info.encoding
            insights["ucs2Chars"] = sorted({char for _i, char in info.ucs2_chars})
        else:
            parts_per_message, encoding = 1, ""
        tally = _Tally(
            Counter({c: n * parts_per_message for c, n in by_country.items()})
        )
        histogram = Counter({parts_per_message: sum(by_country.values())})
        alternatives = {}
        if is_sms and not campaign.unicode:
            fixed = segments.replace_lookalikes(campaign.text)
            if fixed != campaign.text:
                fixed_parts = segments.analyze(fixed).parts
                alternatives["lookalikes"] = _Tally(
                    Counter({c: n * fixed_parts for c, n in by_country.items()})
                )
            stripped = without_ucs2(campaign.text)
            if stripped not in {fixed, campaign.text}:
                stripped_parts = segments.analyze(stripped).parts
                alternatives["removal"] = _Tally(
                    Counter({c: n * stripped_parts for c, n in by_country.items()})
                )
                insights["removal"] = {"chars": _removed(fixed)}

    parts = sum(tally.parts_by_country.values())
    recipients_count = sum(histogram.values())
    book = PriceBook(channel=campaign.channel, volume=parts)
    cost = to_cents(tally.cost(book))
    for name, alternative in alternatives.items():
        saving = cost - to_cents(alternative.cost(book))
        insights.setdefault(name, {})["saving"] = str(saving)
    countries = sorted(tally.parts_by_country.items(), key=lambda item: -item[1])
    by_country_rows = [
        {
            "country": country or "??",
            "parts": n,
            "unitPrice": str(book.unit_price(country)),
            # Exact: the bill rounds once, so rounded lines would not add up to it.
            "cost": str(n * book.unit_price(country)),
        }
        for country, n in countries
    ]
    channels = {
        campaign.channel.lower(): {
            "count": recipients_count,
            "parts": parts,
            "cost": str(cost),
        }
    }
    if has_fallback(campaign):
        by_country = dict(
            chosen.order_by().values_list("country").annotate(n=Count("id"))
        )
        sms = _fallback_quote(campaign, chosen, by_country)
        channels["sms"] = sms
    unit_prices = {book.unit_price(country) for country, _n in countries}
    unit_price = (
        unit_prices.pop()
        if len(unit_prices) == 1
        else (cost / parts).quantize(Decimal("0.0001"))
        if parts
        else book.unit_price("")
    )
    cost = sum((Decimal(c["cost"]) for c in channels.values()), Decimal("0"))
    return Quote(
        total=counts["total"],
        last_contact_id=counts["last_contact_id"],
        valid=valid,
        malformed=counts["malformed"],
        duplicates=counts["duplicates"],
        blacklisted=counts["blacklisted"],
        recipients=recipients_count,
        parts=parts,
        encoding=encoding,
        parts_per_message=parts_per_message,
        cost=cost,
        unit_price=unit_price,
        currency=book.currency,
        duration=estimated_duration(recipients_count),
        by_country=by_country_rows,
        parts_histogram={str(k): v for k, v in sorted(histogram.items())},
        insights=insights,
        channels=channels,
    )


def has_fallback(campaign: Campaign) -> bool:
    """Whether a recipient the campaign's RCS/WhatsApp cannot reach gets an SMS."""
    return campaign.fallback and campaign.channel != Channel.SMS


def fallback_text(campaign: Campaign) -> str:
    """The SMS of the fallback: its own text, else the message text."""
    return campaign.fallback_text.strip() or campaign.text.strip()


def _fallback_quote(
    campaign: Campaign, chosen: QuerySet[Contact], by_country: dict[str, int]
) -> dict:
    """The worst case of the fallback: every recipient also gets the SMS."""
    text = fallback_text(campaign)
    if not text:
        raise DomainError(
            {
                "fallback_text": _(
                    "Write the SMS that recipients who cannot receive %(channel)s get."
                )
                % {"channel": campaign.get_channel_display()}
            },
            code=CampaignErrorCode.MESSAGE_REQUIRED,
        )
    if placeholders(text):
        tally, _alternatives, _histogram, _encoding = _personalized_parts(
            campaign, chosen, {}, text=text
        )
    else:
        n = segments.analyze(text, unicode=campaign.unicode).parts
        tally = _Tally(Counter({c: count * n for c, count in by_country.items()}))
    parts = sum(tally.parts_by_country.values())
    book = PriceBook(channel=Channel.SMS, volume=parts)
    return {
        "count": sum(by_country.values()),
        "parts": parts,
        "cost": str(to_cents(tally.cost(book))),
    }


def _personalized_parts(
    campaign: Campaign,
    chosen: QuerySet[Contact],
    insights: dict,
    *,
    text: str | None = None,
) -> tuple[_Tally, dict[str, _Tally], Counter, str]:
    """Count each recipient's parts; also as they would be with the one-click fixes.

    Returns the tally as configured, the alternatives ("transliteration" of field
    values, "lookalikes" replaced in the template) when they would change anything,
    the histogram of parts per recipient and the encoding ("MIXED" when both occur).
    Rendering each message and counting it exactly (`segments.parts`) costs about
    two microseconds, so the pass is bound by reading the rows. `text` is the
    campaign's own unless given (the fallback SMS).
    """
    text, unicode = campaign.text if text is None else text, campaign.unicode
    forced = "UCS-2" if unicode else None
    fixed_text = segments.replace_lookalikes(text)
    static_gsm = segments.is_gsm7("".join(pieces(text)[::2]))
    names = placeholders(text)
    try_lookalikes = fixed_text != text and not unicode
    stripped_text = without_ucs2(text)
    try_removal = stripped_text not in {fixed_text, text} and not unicode
    try_transliteration = (
        not campaign.transliterate_fields and not unicode and static_gsm
    )

    tally, histogram, encodings = _Tally(), Counter(), Counter()
    transliterated, lookalikes, removal = _Tally(), _Tally(), _Tally()
    ucs2_fields: Counter = Counter()
    empty_fields: Counter = Counter()
    ucs2_recipients = transliteration_helps = 0
    ucs2_examples: list[int] = []
    for contact_id, country, *fields in _field_rows(
        campaign, chosen, names, leading=("id",)
    ).iterator(chunk_size=5000):
        values = dict(zip(names, fields, strict=True))
        if campaign.transliterate_fields:
            values = {k: segments.transliterate(v or "") for k, v in values.items()}
        message = render(text, values)
        n = segments.parts(message, forced)
        gsm = not unicode and segments.is_gsm7(message)
        tally.parts_by_country[country] += n
        histogram[n] += 1
        encodings["GSM-7" if gsm else "UCS-2"] += 1
        for name in names:
            if not values.get(name):
                empty_fields[name] += 1
        alt_parts = n
        if static_gsm and not gsm and not unicode:
            ucs2_recipients += 1
            if len(ucs2_examples) < UCS2_EXAMPLES:
                ucs2_examples.append(contact_id)
            for name in names:
                if not segments.is_gsm7(values.get(name) or ""):
                    ucs2_fields[name] += 1
            if try_transliteration:
                plain = {k: segments.transliterate(v or "") for k, v in values.items()}
                alt_parts = segments.parts(render(text, plain))
                transliteration_helps += alt_parts < n
        transliterated.parts_by_country[country] += alt_parts
        if try_lookalikes:
            lookalikes.parts_by_country[country] += segments.parts(
                render(fixed_text, values)
            )
        if try_removal:
            removal.parts_by_country[country] += segments.parts(
                render(stripped_text, values)
            )

    alternatives: dict[str, _Tally] = {}
    if try_transliteration and transliteration_helps:
        alternatives["transliteration"] = transliterated
        insights["transliteration"] = {"recipients": transliteration_helps}
    if try_lookalikes:
        alternatives["lookalikes"] = lookalikes
        insights["lookalikes"] = {}
    if try_removal:
        alternatives["removal"] = removal
        insights["removal"] = {"chars": _removed(fixed_text)}
    insights["ucs2Recipients"] = ucs2_recipients
    insights["ucs2Examples"] = _who(ucs2_examples)
    insights["ucs2Fields"] = dict(ucs2_fields)
    insights["emptyFields"] = dict(empty_fields)
    insights["fields"] = names
    encoding = "MIXED" if len(encodings) > 1 else next(iter(encodings), "GSM-7")
    return tally, alternatives, histogram, encoding


def _who(contact_ids: list[int]) -> list[str]:
    """How the marketer knows these contacts: their name, else their number."""
    rows = Contact.objects.filter(id__in=contact_ids).order_by("id")
    return [
        f"{first} {last}".strip() or phone
        for first, last, phone in rows.values_list("first_name", "last_name", "phone")
    ]


def _removed(text: str) -> list[str]:
    """The characters `without_ucs2` takes out of `text` (look-alikes already
    replaced), each once."""
    return sorted({char for char in text if not segments.is_gsm7(char)})


def _field_rows(
    campaign: Campaign,
    chosen: QuerySet[Contact],
    names: list[str],
    leading: tuple[str, ...] = (),
) -> QuerySet:
    """Rows of (country, value of each placeholder), attributes read in SQL.

    Extracting just the used keys (`attributes->>'code'`) spares decoding every
    contact's whole JSON object in Python, the largest cost of the pass. Keys
    match placeholders case-insensitively, through the list's attribute keys.
    """
    keys = {str(k).lower(): str(k) for k in campaign.contact_list.attribute_keys or []}
    columns, extracted = [], {}
    for i, name in enumerate(names):
        if name in CONTACT_FIELDS:
            columns.append(name)
        else:
            alias = f"field_{i}"
            extracted[alias] = KT(f"attributes__{keys.get(name, name)}")
            columns.append(alias)
    return (
        chosen.order_by()
        .annotate(**extracted)
        .values_list(*leading, "country", *columns)
    )


def campaign_template(campaign: Campaign) -> TemplateSend | None:
    """The WhatsApp template a campaign sends, or None (SMS, RCS, free text)."""
    if campaign.channel != Channel.WHATSAPP or not campaign.template_id:
        return None
    return template_send(
        template_id=campaign.template_id,
        language=campaign.template_language,
        mapping=campaign.template_variables or {},
        account_id=campaign.account_id,
    )


def recipient_messages(
    campaign: Campaign, chosen: QuerySet[Contact], *, fallback: bool = False
) -> Iterator[tuple[int, str, str, str, int, str, dict | None]]:
    """(contact id, phone, country, text, parts, encoding, payload) per recipient.

    The same rendering and counting as the quote's personalized pass, so what is
    sent, and what it costs, is what was priced. A WhatsApp template's payload
    carries this recipient's parameters, read from the mapped columns. With
    `fallback`, the SMS of the fallback instead of the campaign's message.
    """
    text = fallback_text(campaign) if fallback else campaign.text
    channel = Channel.SMS if fallback else campaign.channel
    unicode = campaign.unicode
    forced = "UCS-2" if unicode else None
    template = None if fallback else campaign_template(campaign)
    if template is not None:
        names = template.columns
    else:
        names = placeholders(text) if channel == Channel.SMS else []
    rows = _field_rows(campaign, chosen, names, leading=("id", "phone"))
    for contact_id, phone, country, *fields in rows.order_by("id").iterator(
        chunk_size=5000
    ):
        values = dict(zip(names, fields, strict=True))
        if template is not None:
            message, payload = template.render(values)
            yield contact_id, phone, country, message, 1, "", payload
            continue
        if campaign.transliterate_fields:
            values = {k: segments.transliterate(v or "") for k, v in values.items()}
        message = render(text, values) if names else text
        if channel != Channel.SMS:
            yield contact_id, phone, country, message, 1, "", None
            continue
        n = segments.parts(message, forced)
        gsm = not unicode and segments.is_gsm7(message)
        yield contact_id, phone, country, message, n, "GSM-7" if gsm else "UCS-2", None
