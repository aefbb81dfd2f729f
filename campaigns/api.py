"""Campaign endpoints of both product documents, thin over `campaigns.services`.

Requests accept both documents' shapes (`message`/`text`, `contactList`/
`contactListId`, `scheduledTime`/`scheduledDate`, lower- or upper-case channels);
responses carry both documents' field names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Schema
from ninja.errors import ValidationError
from ninja.responses import Status
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticError

from accounts.api import Fail
from accounts.api_routing import DualRouter
from accounts.errors import DomainError
from accounts.money import to_cents
from campaigns import services
from campaigns.models import Campaign
from campaigns.pricing import price_summary
from campaigns.selectors import campaign_get, campaigns_for_account
from campaigns.states import Status as CampaignStatus
from messaging.models import Channel

router = DualRouter(tags=["Campaigns"])
ERRORS = {400: Fail, 401: Fail, 402: Fail, 404: Fail, 409: Fail}


class CampaignIn(Schema):
    """Campaign settings; every field optional so PUT can change just some."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    description: str | None = None
    channel: str | None = Field(None, description="sms, rcs or whatsapp (any case)")
    sender: str | None = None
    message: str | None = Field(
        None, description="SMS text, or the template id for RCS/WhatsApp (guide)"
    )
    text: str | None = Field(None, description="Message text (UC-006)")
    templateId: str | None = None
    templateVariables: dict[str, str] | None = None
    contactList: int | str | None = Field(None, description="Contact list id (guide)")
    contactListId: int | str | None = Field(
        None, description="Contact list id (UC-006)"
    )
    unicode: bool | None = None
    transliterateFields: bool | None = None
    fallback: bool | None = None
    fallbackText: str | None = None
    simulation: bool | None = None
    sendImmediately: bool | None = None
    scheduledTime: datetime | None = None
    scheduledDate: datetime | None = None
    goalContactCount: int | None = None


class CalculateIn(Schema):
    goalContactCount: int | None = None


class ConfirmIn(Schema):
    model_config = ConfigDict(extra="ignore")

    sendImmediately: bool | None = None
    scheduledDate: datetime | None = None
    scheduledTime: datetime | None = None
    simulation: bool | None = None


class CampaignOut(Schema):
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
    sendImmediately: bool
    scheduledTime: datetime | None
    scheduledDate: datetime | None
    goalContactCount: int | None
    createdAt: datetime
    updatedAt: datetime
    configuredAt: datetime | None
    calculatedAt: datetime | None
    confirmedAt: datetime | None
    canceledAt: datetime | None
    totalRecipients: int | None
    validRecipients: int | None
    invalidRecipients: int | None
    duplicateRecipients: int | None
    blacklistedRecipients: int | None
    totalContacts: int | None
    estimatedParts: int | None
    estimatedCost: Decimal | None
    reservedAmount: Decimal


class CalculateOut(Schema):
    id: int
    status: str
    totalRecipients: int
    validRecipients: int
    invalidRecipients: int
    duplicateRecipients: int
    blacklistedRecipients: int
    excludedRecipients: int = Field(
        description="invalid + duplicate + blacklisted: total = valid + excluded (UC-006)"
    )
    estimatedParts: int
    encoding: str
    partsPerMessage: int | None
    totalContacts: int
    estimatedCost: Decimal
    costPerMessage: Decimal
    currency: str
    estimatedDuration: str
    calculatedAt: datetime
    byCountry: list[dict]
    partsHistogram: dict[str, int]
    insights: dict


class ChannelCost(Schema):
    count: int
    cost: Decimal


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
    byCountry: list[dict]


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
    status: str = ""
    channel: str = ""
    q: str = ""


def _aware(account_tz: str, when: datetime | None) -> datetime | None:
    """A time without offset is the account's local time."""
    if when is None or timezone.is_aware(when):
        return when
    return when.replace(tzinfo=ZoneInfo(account_tz))


# Fields the two documents name differently; errors use the name the client sent.
ALIASES = [
    ("contactListId", "contactList"),
    ("scheduledTime", "scheduledDate"),
    ("text", "message"),
]


@contextmanager
def named_as_sent(sent: Iterable[str]) -> Iterator[None]:
    """Rename a refusal's fields to the spelling the request used."""
    try:
        yield
    except DomainError as exc:
        sent = set(sent)
        for pair in ALIASES:
            for ours, theirs in (pair, pair[::-1]):
                if ours in exc.data and theirs in sent and ours not in sent:
                    exc.data[theirs] = exc.data.pop(ours)
        raise


def settings_from(
    payload: CampaignIn, *, account_tz: str, channel: str
) -> dict[str, Any]:
    """Map the request (either document's names) to service settings."""
    given = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {}
    simple = {
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
    }
    for api_name, field in simple.items():
        if api_name in given and given[api_name] is not None:
            data[field] = given[api_name]
    if given.get("channel"):
        data["channel"] = given["channel"]
        channel = str(given["channel"]).upper()
    if given.get("message") is not None:
        key = "text" if channel == Channel.SMS else "template_id"
        data.setdefault(key, given["message"])
    list_given = [k for k in ("contactListId", "contactList") if k in given]
    if list_given:
        data["contact_list"] = given[list_given[0]]
    when = given.get("scheduledDate") or given.get("scheduledTime")
    if when is not None:
        data["scheduled_at"] = _aware(account_tz, when)
    return data


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
        "createdAt": campaign.created_at,
        "updatedAt": campaign.updated_at,
        "configuredAt": campaign.configured_at,
        "calculatedAt": campaign.calculated_at,
        "confirmedAt": campaign.confirmed_at,
        "canceledAt": campaign.canceled_at,
        "totalRecipients": campaign.total_recipients,
        "validRecipients": campaign.valid_recipients,
        "invalidRecipients": campaign.invalid_recipients,
        "duplicateRecipients": campaign.duplicate_recipients,
        "blacklistedRecipients": campaign.blacklisted_recipients,
        "totalContacts": campaign.total_contacts,
        "estimatedParts": campaign.estimated_parts,
        "estimatedCost": campaign.estimated_cost,
        "reservedAmount": to_cents(campaign.reserved_amount),
    }


def _optional_body(request: HttpRequest, schema: type[Schema]) -> Schema:
    """Parse a body that the documents send sometimes and sometimes not at all."""
    raw = request.body.strip()
    if request.content_type in {
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    }:
        raw = b""  # a bodiless POST from a form-minded client
    try:
        return schema.model_validate(json.loads(raw) if raw else {})
    except json.JSONDecodeError as exc:
        raise DomainError({"body": "Malformed JSON"}) from exc
    except PydanticError as exc:
        raise ValidationError(exc.errors()) from exc


def _body_doc(schema: type[Schema]) -> dict:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
def campaign_create(request: HttpRequest, payload: CampaignIn):
    """Create a campaign: DRAFT, or CONFIGURED when name, channel, message and list are all given."""
    channel = str(payload.channel or Channel.SMS).upper()
    data = settings_from(payload, account_tz=request.account.timezone, channel=channel)
    with named_as_sent(payload.model_fields_set):
        campaign = services.campaign_create(account=request.account, data=data)
    return Status(201, campaign_out(campaign))


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS})
def campaign_list(request: HttpRequest, filters: Query[ListFilters]):
    """The account's campaigns, newest first; filter by status, channel or a search."""
    status = filters.status.upper()
    if status and status not in CampaignStatus.values:
        raise DomainError({"status": "Use one of " + ", ".join(CampaignStatus.values)})
    campaigns = campaigns_for_account(
        account=request.account,
        status=status,
        channel=filters.channel,
        search=filters.q,
    )
    return [campaign_out(c) for c in campaigns[:200]]


@router.get("/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS})
def campaign_detail(request: HttpRequest, campaign_id: int):
    return campaign_out(campaign_get(account=request.account, pk=campaign_id))


@router.api_operation(
    ["PUT", "PATCH"],
    "/campaigns/{int:campaign_id}",
    response={200: CampaignOut, **ERRORS},
)
def campaign_update(request: HttpRequest, campaign_id: int, payload: CampaignIn):
    """Change settings before confirmation (409 once confirmed)."""
    current = campaign_get(account=request.account, pk=campaign_id)
    channel = str(payload.channel or current.channel).upper()
    data = settings_from(payload, account_tz=request.account.timezone, channel=channel)
    with named_as_sent(payload.model_fields_set):
        campaign = services.campaign_update(
            account=request.account, pk=campaign_id, data=data
        )
    return campaign_out(campaign)


@router.delete("/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS})
def campaign_cancel(request: HttpRequest, campaign_id: int):
    """Cancel before sending; a reservation goes back to the credit."""
    campaign = services.campaign_cancel(account=request.account, pk=campaign_id)
    return campaign_out(campaign)


@router.post(
    "/campaigns/{int:campaign_id}/calculateGoal",
    response={200: CalculateOut, **ERRORS},
    openapi_extra=_body_doc(CalculateIn),
)
def campaign_calculate(request: HttpRequest, campaign_id: int):
    """Validate the recipients and estimate parts and cost (COST_CALCULATED)."""
    body = _optional_body(request, CalculateIn)
    campaign = services.campaign_calculate(
        account=request.account,
        pk=campaign_id,
        goal_contact_count=body.goalContactCount,
    )
    quote = campaign.quote
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "totalRecipients": campaign.total_recipients,
        "validRecipients": campaign.valid_recipients,
        "invalidRecipients": campaign.invalid_recipients,
        "duplicateRecipients": campaign.duplicate_recipients,
        "blacklistedRecipients": campaign.blacklisted_recipients,
        "excludedRecipients": campaign.total_recipients - campaign.valid_recipients,
        "estimatedParts": campaign.estimated_parts,
        "encoding": campaign.encoding,
        "partsPerMessage": campaign.parts_per_message,
        "totalContacts": campaign.total_contacts,
        "estimatedCost": campaign.estimated_cost,
        "costPerMessage": campaign.cost_per_message,
        "currency": quote["currency"],
        "estimatedDuration": quote["estimatedDuration"],
        "calculatedAt": campaign.calculated_at,
        "byCountry": quote["byCountry"],
        "partsHistogram": quote["partsHistogram"],
        "insights": quote["insights"],
    }


@router.get("/campaigns/{int:campaign_id}/price", response={200: PriceOut, **ERRORS})
def campaign_price(request: HttpRequest, campaign_id: int):
    """The price against the account's credit (409 until the cost is calculated)."""
    campaign = campaign_get(account=request.account, pk=campaign_id)
    return price_summary(campaign)


@router.api_operation(
    ["PUT", "POST"],
    "/campaigns/{int:campaign_id}/confirm",
    response={200: ConfirmOut, **ERRORS},
    openapi_extra=_body_doc(ConfirmIn),
)
def campaign_confirm(request: HttpRequest, campaign_id: int):
    """Confirm now (`sendImmediately`) or for `scheduledDate`; reserves the price (402 if short)."""
    body = _optional_body(request, ConfirmIn)
    when = _aware(request.account.timezone, body.scheduledDate or body.scheduledTime)
    sent = body.model_fields_set
    # A time stored at creation is checked here too: name it as the client did then.
    with named_as_sent(sent or {"scheduledTime"}):
        campaign = services.campaign_confirm(
            account=request.account,
            pk=campaign_id,
            send_immediately=body.sendImmediately,
            scheduled_at=when,
            simulation=body.simulation,
        )
    warning = services.maintenance_warning(
        account=request.account, when=campaign.scheduled_at
    )
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
