"""The campaign API's request and response bodies, and their mapping to the domain.

Requests accept both documents' shapes (`message`/`text`, `contactList`/
`contactListId`, `scheduledTime`/`scheduledDate`, lower- or upper-case channels);
responses carry both documents' field names. This module is the only place that
knows those spellings: services take `CampaignSettings` in the domain's names.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticError

from accounts.digits import as_id
from accounts.errors import DomainError
from accounts.inputs import MAX_BIGINT, MAX_INT, SafeDatetime, Text, json_loads
from accounts.models import Account
from accounts.money import to_cents
from campaigns.canary import canary_state
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import Campaign
from campaigns.pricing import price_breakdown
from campaigns.services import CampaignSettings
from campaigns.stats import CampaignStats, Counts
from contacts.models import ContactList
from contacts.selectors import contact_lists_for_account
from messaging.links import NO_CLICKS, link_stats
from messaging.models import CHARGEABLE, Channel, Message

# A list named by id (64-bit), "list_87" or its name (the guide's handles).
ListRef = (
    Annotated[int, Field(ge=0, le=MAX_BIGINT)] | Annotated[Text, Field(max_length=200)]
)
# Longest text a request may carry: any SMS of SMS_MAX_PARTS fits many times over.
TEXT_MAX = 10_000


class CampaignIn(Schema):
    """Campaign settings; every field optional so PUT can change just some.

    Each field is bounded as its column is (`accounts.inputs`): text storable
    and no longer than the column, counts 32-bit, dates storable anywhere.
    """

    model_config = ConfigDict(extra="ignore")

    name: Text | None = Field(None, max_length=200)
    description: Text | None = Field(None, max_length=TEXT_MAX)
    channel: Text | None = Field(
        None, max_length=20, description="SMS, RCS or WHATSAPP (any case)"
    )
    sender: Text | None = Field(
        None,
        max_length=15,
        description="Up to 11 letters and digits, or a number of up to 15 digits "
        "(14 after a +)",
    )
    message: Text | None = Field(
        None,
        max_length=TEXT_MAX,
        description="SMS text, or the template id for RCS/WhatsApp (guide)",
    )
    text: Text | None = Field(
        None, max_length=TEXT_MAX, description="Message text (UC-006)"
    )
    templateId: Text | None = Field(None, max_length=200)
    templateVariables: dict[Text, Annotated[Text, Field(max_length=1000)]] | None = (
        Field(None, max_length=50)
    )
    contactList: ListRef | None = Field(None, description="Contact list id (guide)")
    contactListId: ListRef | None = Field(None, description="Contact list id (UC-006)")
    unicode: bool | None = None
    transliterateFields: bool | None = None
    fallback: bool | None = None
    fallbackText: Text | None = Field(None, max_length=TEXT_MAX)
    simulation: bool | None = None
    sendImmediately: bool | None = None
    scheduledTime: SafeDatetime | None = Field(
        None, description="At most a year ahead; without offset: the account's zone"
    )
    scheduledDate: SafeDatetime | None = Field(
        None, description="At most a year ahead; without offset: the account's zone"
    )
    goalContactCount: int | None = Field(None, ge=1, le=MAX_INT)
    includeLandlines: bool | None = Field(
        None,
        description="Also send to fixed-line numbers (default false: an SMS to a "
        "landline usually does not arrive, so they are left out and not charged)",
    )
    sendWindow: dict[str, Any] | None = Field(
        None,
        description='Local hours of each recipient: {"days": ["MO", ...], '
        '"from": "09:00", "to": "20:00"}; null clears it',
    )
    maxPerMinute: int | None = Field(None, description="At most N messages a minute")
    spreadHours: int | None = Field(None, description="Spread the send over H hours")
    trackLinks: bool | None = Field(
        None, description="Replace every URL by a per-recipient tracked short link"
    )
    canary: dict[str, Any] | bool | None = Field(
        None,
        description='A first slice that must look healthy: {"percent": 2, '
        '"minRecipients": 200, "holdMinutes": 15, "maxFailureRate": 0.1, '
        '"maxOptOutRate": 0.01} (true: these defaults); null: none',
    )


class CalculateIn(Schema):
    goalContactCount: int | None = Field(None, ge=1, le=MAX_INT)


class ConfirmIn(Schema):
    model_config = ConfigDict(extra="ignore")

    sendImmediately: bool | None = None
    scheduledDate: SafeDatetime | None = None
    scheduledTime: SafeDatetime | None = None
    simulation: bool | None = None


class SettingsOut(Schema):
    """What a campaign and a recurring schedule both answer about their message."""

    id: int
    name: str
    description: str
    channel: str
    status: str
    sender: str
    text: str
    message: str
    templateId: str
    templateVariables: dict
    contactListId: int | None
    contactList: int | None
    unicode: bool
    transliterateFields: bool
    fallback: bool
    fallbackText: str
    simulation: bool
    goalContactCount: int | None
    includeLandlines: bool


class CampaignOut(SettingsOut):
    sendWindow: dict | None
    maxPerMinute: int | None
    spreadHours: int | None
    canary: dict | None
    trackLinks: bool
    canaryState: str = Field(description="'', SENDING, HOLDING, PASSED or FAILED")
    statusReason: str
    sendImmediately: bool
    scheduledTime: datetime | None
    scheduledDate: datetime | None
    createdAt: datetime
    updatedAt: datetime
    configuredAt: datetime | None
    calculatedAt: datetime | None
    confirmedAt: datetime | None
    canceledAt: datetime | None
    totalRecipients: int | None
    validRecipients: int | None
    invalidRecipients: int | None
    malformedRecipients: int | None
    duplicateRecipients: int | None
    blacklistedRecipients: int | None
    totalContacts: int | None
    estimatedParts: int | None
    estimatedCost: Decimal | None
    reservedAmount: Decimal
    recurringId: int | None = Field(
        description="The recurring campaign this one is a run of"
    )
    occurrenceAt: datetime | None = Field(description="The run it was made for")


class NumberTypes(Schema):
    """Recipients that may be messaged, by what phonenumbers says the number is."""

    mobile: int
    fixed: int
    unknown: int


class CountryCost(Schema):
    """One destination of a quote; amounts are JSON numbers like every amount."""

    country: str
    parts: int
    unitPrice: Decimal
    cost: Decimal = Field(description="Exact: the bill rounds its total once")


class ChannelCost(Schema):
    count: int
    cost: Decimal


class CalculateOut(Schema):
    id: int
    status: str
    totalRecipients: int
    validRecipients: int
    invalidRecipients: int = Field(
        description="totalRecipients - validRecipients: malformed + duplicate + "
        "opted out or blacklisted (UC-006) + landlines left out"
    )
    landlineRecipients: int = Field(
        description="Valid fixed-line numbers left out (0 with includeLandlines)"
    )
    numberTypes: NumberTypes
    malformedRecipients: int
    duplicateRecipients: int
    blacklistedRecipients: int
    excludedRecipients: int = Field(description="The same as invalidRecipients")
    estimatedParts: int
    encoding: str
    partsPerMessage: int | None
    totalContacts: int
    estimatedCost: Decimal
    costPerMessage: Decimal
    currency: str
    estimatedDuration: str
    estimatedDurationSeconds: int | None = Field(
        description="From the start to the last message, windows and speed included"
    )
    estimatedCompletionTime: datetime | None = Field(
        description="When the last message should go, if sent now (or as scheduled)"
    )
    forecast: dict = Field(
        description="Pace (messagesPerSecond, limitedBy) and expected sends perHour"
    )
    calculatedAt: datetime
    byCountry: list[CountryCost]
    partsHistogram: dict[str, int]
    insights: dict
    breakdown: dict[str, ChannelCost] = Field(
        description="Recipients and cost per channel (sms, rcs, whatsapp); with SMS "
        "fallback, sms is the worst case: every recipient also gets the SMS"
    )


class PriceOut(Schema):
    id: int
    campaignId: int
    totalRecipients: int
    totalContacts: int
    estimatedParts: int
    pricePerMessage: Decimal
    totalPrice: Decimal
    estimatedCost: Decimal
    currency: str
    availableCredit: Decimal
    sufficient: bool
    creditAfter: Decimal
    breakdown: dict[str, ChannelCost]
    byCountry: list[CountryCost]


class ConfirmOut(Schema):
    id: int
    status: str
    sendImmediately: bool
    scheduledTime: datetime | None
    scheduledDate: datetime | None
    confirmedAt: datetime
    reservedAmount: Decimal
    simulation: bool
    message: str
    warnings: list[str]


class ListFilters(Schema):
    status: Text = Field("", max_length=20)
    channel: Text = Field("", max_length=20)
    q: Text = Field("", max_length=200)


def aware(account_tz: str, when: datetime | None) -> datetime | None:
    """A time without offset is the account's local time."""
    if when is None or timezone.is_aware(when):
        return when
    return when.replace(tzinfo=ZoneInfo(account_tz))


# Domain fields the two documents spell differently: errors use the client's spelling.
API_NAMES: dict[str, tuple[str, ...]] = {
    "contact_list": ("contactListId", "contactList"),
    "scheduled_at": ("scheduledTime", "scheduledDate"),
    "text": ("text", "message"),
    "template_id": ("templateId", "message"),
}
_SIMPLE = {
    "name": "name",
    "description": "description",
    "sender": "sender",
    "text": "text",
    "templateId": "template_id",
    "templateVariables": "template_variables",
    "unicode": "unicode",
    "transliterateFields": "transliterate_fields",
    "fallback": "fallback",
    "fallbackText": "fallback_text",
    "simulation": "simulation",
    "sendImmediately": "send_immediately",
    "goalContactCount": "goal_contact_count",
    "trackLinks": "track_links",
    "includeLandlines": "include_landlines",
}
# Fields where null is a value: it clears them.
_NULLABLE = {
    "sendWindow": "send_window",
    "maxPerMinute": "max_per_minute",
    "spreadHours": "spread_hours",
    "canary": "canary",
}


def contact_list_from_reference(*, account: Account, ref: int | str) -> ContactList:
    """The account's list a request names: an id (87, "87", "list_87"), else a name.

    The guide names lists by handle ("all_users"); the newest list of that name wins.
    """
    lists = contact_lists_for_account(account=account)
    text = str(ref).strip()
    digits = text.rsplit("_", 1)[-1]
    found = lists.filter(pk=pk).first() if (pk := as_id(digits)) else None
    found = found or lists.filter(name=text).first()
    if found is None:
        raise DomainError(
            {"contact_list": _("Contact list not found.")},
            code=CampaignErrorCode.CONTACT_LIST_NOT_FOUND,
        )
    return found


def settings_from(
    payload: CampaignIn, *, account: Account, channel: str
) -> CampaignSettings:
    """Map the request (either document's names) to the services' settings."""
    given = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {
        field: given[api_name]
        for api_name, field in _SIMPLE.items()
        if given.get(api_name) is not None
    }
    data.update(
        {field: given[name] for name, field in _NULLABLE.items() if name in given}
    )
    if given.get("channel"):
        data["channel"] = given["channel"]
        channel = str(given["channel"]).upper()
    if given.get("message") is not None:
        key = "text" if channel == Channel.SMS else "template_id"
        data.setdefault(key, given["message"])
    list_given = [k for k in ("contactListId", "contactList") if k in given]
    if list_given and given[list_given[0]] is not None:
        data["contact_list"] = contact_list_from_reference(
            account=account, ref=given[list_given[0]]
        )
    when = given.get("scheduledDate") or given.get("scheduledTime")
    if when is not None:
        data["scheduled_at"] = aware(account.timezone, when)
    return CampaignSettings(**data)


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    message = campaign.text if campaign.channel == Channel.SMS else campaign.template_id
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "description": campaign.description,
        "channel": campaign.channel,
        "status": campaign.status,
        "sender": campaign.sender,
        "text": campaign.text,
        "message": message or campaign.text,
        "templateId": campaign.template_id,
        "templateVariables": campaign.template_variables,
        "contactListId": campaign.contact_list_id,
        "contactList": campaign.contact_list_id,
        "unicode": campaign.unicode,
        "transliterateFields": campaign.transliterate_fields,
        "fallback": campaign.fallback,
        "fallbackText": campaign.fallback_text,
        "simulation": campaign.simulation,
        "sendImmediately": campaign.send_immediately,
        "scheduledTime": campaign.scheduled_at,
        "scheduledDate": campaign.scheduled_at,
        "goalContactCount": campaign.goal_contact_count,
        "includeLandlines": campaign.include_landlines,
        "createdAt": campaign.created_at,
        "updatedAt": campaign.updated_at,
        "configuredAt": campaign.configured_at,
        "calculatedAt": campaign.calculated_at,
        "confirmedAt": campaign.confirmed_at,
        "canceledAt": campaign.canceled_at,
        "totalRecipients": campaign.total_recipients,
        "validRecipients": campaign.valid_recipients,
        "invalidRecipients": campaign.invalid_recipients,
        "malformedRecipients": campaign.malformed_recipients,
        "duplicateRecipients": campaign.duplicate_recipients,
        "blacklistedRecipients": campaign.blacklisted_recipients,
        "totalContacts": campaign.recipient_count,
        "estimatedParts": campaign.estimated_parts,
        "estimatedCost": campaign.estimated_cost,
        "reservedAmount": to_cents(campaign.reserved_amount),
        "recurringId": campaign.recurring_id,
        "occurrenceAt": campaign.occurrence_at,
        "sendWindow": campaign.send_window,
        "maxPerMinute": campaign.max_per_minute,
        "spreadHours": campaign.spread_hours,
        "canary": campaign.canary,
        "trackLinks": campaign.track_links,
        "canaryState": canary_state(campaign),
        "statusReason": campaign.status_reason,
    }


def optional_body(request: HttpRequest, schema: type[Schema]) -> Schema:
    """Parse a body that the documents send sometimes and sometimes not at all."""
    raw = request.body.strip()
    if request.content_type in {
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    }:
        raw = b""  # a bodiless POST from a form-minded client
    data = json_loads(raw) if raw else {}
    try:
        return schema.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(exc.errors()) from exc


def body_doc(schema: type[Schema]) -> dict:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def calculation_out(campaign: Campaign) -> dict[str, Any]:
    """calculateGoal's answer: UC-006's counts, the forecast, then the breakdowns."""
    quote = campaign.quote
    forecast = quote.get("forecast", {})
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "totalRecipients": campaign.total_recipients,
        "validRecipients": campaign.valid_recipients,
        "invalidRecipients": campaign.invalid_recipients,
        "malformedRecipients": campaign.malformed_recipients,
        "duplicateRecipients": campaign.duplicate_recipients,
        "blacklistedRecipients": campaign.blacklisted_recipients,
        "excludedRecipients": campaign.invalid_recipients,
        "landlineRecipients": quote["insights"].get("landlinesExcluded", 0),
        "numberTypes": quote["insights"].get(
            "numberTypes", {"mobile": 0, "fixed": 0, "unknown": 0}
        ),
        "estimatedParts": campaign.estimated_parts,
        "encoding": campaign.encoding,
        "partsPerMessage": campaign.parts_per_message,
        "totalContacts": campaign.recipient_count,
        "estimatedCost": campaign.estimated_cost,
        "costPerMessage": campaign.cost_per_message,
        "currency": quote["currency"],
        "estimatedDuration": quote["estimatedDuration"],
        "estimatedDurationSeconds": forecast.get("estimatedDurationSeconds"),
        "estimatedCompletionTime": forecast.get("estimatedCompletionTime"),
        "forecast": forecast,
        "calculatedAt": campaign.calculated_at,
        "byCountry": quote["byCountry"],
        "partsHistogram": quote["partsHistogram"],
        "insights": insights_out(quote["insights"]),
        "breakdown": price_breakdown(campaign),
    }


def insights_out(insights: dict[str, Any]) -> dict[str, Any]:
    """The stored insights with each fix's saving as a number (stored as a string,
    JSON having no decimal type)."""
    return {
        name: {**value, "saving": Decimal(value["saving"])}
        if isinstance(value, dict) and "saving" in value
        else value
        for name, value in insights.items()
    }


def confirmation_out(campaign: Campaign, *, warning: str) -> dict[str, Any]:
    """confirm's answer, with the maintenance-window warning if any."""
    message = (
        "Campaign confirmed. Sending starts at scheduled time."
        if campaign.scheduled_at
        else "Campaign confirmed. Sending starts now."
    )
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "sendImmediately": campaign.send_immediately,
        "scheduledTime": campaign.scheduled_at,
        "scheduledDate": campaign.scheduled_at,
        "confirmedAt": campaign.confirmed_at,
        "reservedAmount": to_cents(campaign.reserved_amount),
        "simulation": campaign.simulation,
        "message": message,
        "warnings": [warning] if warning else [],
    }


class ChannelStatsOut(Schema):
    totalMessages: int
    sent: int
    delivered: int
    failed: int
    pending: int
    awaitingReport: int
    skipped: int
    canceled: int


class StatsOut(Schema):
    """The guide's statistics (rates are fractions of `sent`), counted in messages:
    with SMS fallback a recipient may have two, split in `channels`."""

    campaignId: int
    name: str
    status: str
    simulation: bool
    totalMessages: int = Field(description="Messages, every channel together")
    totalRecipients: int = Field(
        description="Messages in the campaign's own channel: one per recipient"
    )
    fallbacks: int = Field(description="SMS sent instead of RCS/WhatsApp")
    sent: int
    delivered: int
    failed: int
    pending: int
    awaitingReport: int
    skipped: int
    canceled: int
    deliveryRate: float
    failureRate: float
    startTime: datetime | None
    estimatedCompletionTime: datetime | None
    completedAt: datetime | None
    cost: Decimal
    currency: str
    channels: dict[str, ChannelStatsOut] = Field(
        description="The same counts per channel (sms, rcs, whatsapp)"
    )
    byRoute: dict[str, int] = Field(
        description="Messages handed to each route, by route key (`simulator`, "
        "`r<id>` of /gateways): more than one after a failover"
    )
    clicks: int = Field(description="Clicks on tracked links, every one")
    uniqueClicks: int = Field(description="Recipients who clicked at least once")
    clickRate: float = Field(description="uniqueClicks as a fraction of sent")
    optOutsByLink: int = Field(description="Recipients who used their opt-out link")


class Uc006Counts(Schema):
    total: int
    sent: int
    delivered: int
    undelivered: int
    pending: int
    deliveryRate: float = Field(description="Percent of sent, two decimals")
    awaitingReport: int = Field(description="Sent, no final report yet")
    skipped: int = Field(description="Opted out after confirmation: not sent")
    canceled: int = Field(description="Not sent: the campaign was stopped")


class Uc006Cost(Schema):
    totalCredits: Decimal
    currency: str


class Uc006StatsOut(Schema):
    campaignId: int
    name: str
    status: str
    simulation: bool
    stats: Uc006Counts
    cost: Uc006Cost
    startTime: datetime | None
    completedAt: datetime | None


class Uc006StatsPage(Schema):
    campaigns: list[Uc006StatsOut]


class MessageOut(Schema):
    id: int
    phoneNumber: str
    channel: str
    fallbackOf: int | None = Field(
        description="The RCS/WhatsApp message this SMS replaces"
    )
    status: str
    parts: int
    price: Decimal
    errorCode: str | None
    errorReason: str | None
    clientReference: str
    providerMessageId: str
    queuedAt: datetime
    sentAt: datetime | None
    finishedAt: datetime | None
    clickedAt: datetime | None = Field(
        None, description="The recipient's first click on a tracked link"
    )


class MessagesPage(Schema):
    messages: list[MessageOut]
    nextCursor: str | None


def _counts_out(counts: Counts) -> dict[str, int]:
    return {
        "totalMessages": counts.total,
        "sent": counts.sent,
        "delivered": counts.delivered,
        "failed": counts.failed,
        "pending": counts.pending,
        "awaitingReport": counts.awaiting,
        "skipped": counts.skipped,
        "canceled": counts.canceled,
    }


def stats_out(stats: CampaignStats) -> dict[str, Any]:
    campaign = stats.campaign
    links = link_stats(campaign.pk) if campaign.has_links else NO_CLICKS
    return {
        "campaignId": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "simulation": campaign.simulation,
        **_counts_out(stats),
        "totalRecipients": stats.recipients,
        "fallbacks": stats.fallbacks,
        "deliveryRate": round(stats.rate(stats.delivered), 4),
        "failureRate": round(stats.rate(stats.failed), 4),
        "startTime": campaign.started_at,
        "estimatedCompletionTime": stats.estimated_completion,
        "completedAt": campaign.completed_at,
        "cost": to_cents(stats.cost),
        "currency": campaign.account.currency,
        "channels": {
            channel.lower(): _counts_out(counts)
            for channel, counts in stats.channels.items()
        },
        "byRoute": stats.by_route,
        "clicks": links["clicks"],
        "uniqueClicks": links["unique"],
        "clickRate": round(stats.rate(links["unique"]), 4),
        "optOutsByLink": links["optouts"],
    }


def uc006_stats_out(stats: CampaignStats) -> dict[str, Any]:
    campaign = stats.campaign
    return {
        "campaignId": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "simulation": campaign.simulation,
        "stats": {
            "total": stats.total,
            "sent": stats.sent,
            "delivered": stats.delivered,
            "undelivered": stats.failed,
            "pending": stats.pending,
            "deliveryRate": round(stats.rate(stats.delivered) * 100, 2),
            # total = sent + pending + skipped + canceled, and
            # sent = delivered + undelivered + awaitingReport.
            "awaitingReport": stats.awaiting,
            "skipped": stats.skipped,
            "canceled": stats.canceled,
        },
        "cost": {
            "totalCredits": to_cents(stats.cost),
            "currency": campaign.account.currency,
        },
        "startTime": campaign.started_at,
        "completedAt": campaign.completed_at,
    }


def message_out(message: Message, *, clicked: datetime | None = None) -> dict[str, Any]:
    return {
        "id": message.pk,
        "phoneNumber": message.phone,
        "channel": message.channel,
        "fallbackOf": message.fallback_of,
        "status": message.status,
        "parts": message.parts,
        # What it costs the account: nothing once it ended unsent.
        "price": message.price if message.status in CHARGEABLE else Decimal("0"),
        "errorCode": message.error_code or None,
        "errorReason": message.error_reason or None,
        "clientReference": str(message.client_ref),
        "providerMessageId": message.provider_id,
        "queuedAt": message.created_at,
        "sentAt": message.submitted_at,
        "finishedAt": message.finished_at,
        "clickedAt": clicked,
    }


class TestSendIn(Schema):
    # How many (1 to 5) is the service's to say, after the campaign is found.
    phoneNumbers: list[Annotated[Text, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )


class TestSendOut(Schema):
    messages: list[MessageOut]
