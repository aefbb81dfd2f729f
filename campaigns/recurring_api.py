"""Recurring campaign endpoints: campaign settings plus an RFC 5545 rule and a zone.

Bodies take the campaign create fields with the same spellings as `POST /campaigns`
(`campaigns.schemas.settings_from`), plus `rrule`, `timezone` (the account's by
default), `startsAt` and `endsAt`. `PUT` changes settings or the schedule, and
pauses or resumes with `{"status": "PAUSED" | "ACTIVE"}`; `DELETE` ends one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Field
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_errors import errors_named_as_sent
from accounts.api_routing import DualRouter
from accounts.errors import DomainError
from accounts.inputs import SafeDatetime, Text
from accounts.models import Account
from campaigns import recurring as services
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import RecurringCampaign
from campaigns.recurrence import MAX_LENGTH, clean_timezone, describe
from campaigns.schemas import (
    API_NAMES,
    CampaignIn,
    SettingsOut,
    aware,
    settings_from,
)
from campaigns.selectors import recurring_for_account, recurring_get
from campaigns.states import RecurringStatus
from messaging.models import Channel

router = DualRouter(tags=["Recurring campaigns"])
ERRORS = {400: Fail, 401: Fail, 404: Fail, 409: Fail}
OCCURRENCES_SHOWN = 100
RULE_HELP = "RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"


class RecurringIn(CampaignIn):
    """The campaign create fields and the schedule; all optional, for PUT."""

    rrule: Text | None = Field(None, max_length=MAX_LENGTH, description=RULE_HELP)
    timezone: Text | None = Field(
        None,
        max_length=64,
        description="IANA time zone, e.g. Europe/Rome (default: the account's)",
    )
    startsAt: SafeDatetime | None = Field(
        None, description="DTSTART, no run before it (default: now)"
    )
    endsAt: SafeDatetime | None = Field(None, description="No run after it")
    status: Text | None = Field(
        None,
        max_length=20,
        description="PUT only: PAUSED pauses, ACTIVE resumes, ENDED ends",
    )


class RecurringCreateIn(RecurringIn):
    rrule: Text = Field(max_length=MAX_LENGTH, description=RULE_HELP)


class RecurringOut(SettingsOut):
    rrule: str
    timezone: str
    schedule: str = Field(description="The rule in words, when the picker made it")
    startsAt: datetime
    endsAt: datetime | None
    nextRunAt: datetime | None = Field(description="UTC")
    nextRunLocal: str | None = Field(description="The next run in `timezone`")
    lastRunAt: datetime | None
    lastError: str | None = Field(description="Why the latest run was skipped")
    lastErrorAt: datetime | None = Field(description="The run that was skipped")
    occurrences: list[int] = Field(
        description="Ids of the campaigns made by the latest runs, newest first"
    )
    createdAt: datetime
    updatedAt: datetime
    endedAt: datetime | None


def recurring_settings_from(
    payload: RecurringIn, *, account: Account, current: RecurringCampaign | None
) -> services.RecurringSettings:
    """Map a body (either document's campaign names) to the services' settings."""
    channel = str(payload.channel or (current and current.channel) or Channel.SMS)
    campaign = settings_from(payload, account=account, channel=channel.upper())
    given: dict[str, Any] = {
        name: value
        for name, value in campaign.items()
        if name in services.SETTINGS_FIELDS
    }
    sent = payload.model_fields_set
    if payload.rrule is not None:
        given["rrule"] = payload.rrule
    if "timezone" in sent:  # checked first: a naive startsAt is read in it
        zone = clean_timezone(payload.timezone or account.timezone)
        given["timezone"] = zone
    else:
        zone = current.timezone if current else account.timezone
    if payload.startsAt is not None:
        given["starts_at"] = aware(zone, payload.startsAt)
    if "endsAt" in sent:
        given["ends_at"] = aware(zone, payload.endsAt)
    return services.RecurringSettings(**given)


def recurring_out(
    recurring: RecurringCampaign, *, occurrences: list[int]
) -> dict[str, Any]:
    next_local = (
        recurring.next_run_at.astimezone(ZoneInfo(recurring.timezone)).isoformat()
        if recurring.next_run_at
        else None
    )
    message = (
        recurring.text if recurring.channel == Channel.SMS else recurring.template_id
    )
    return {
        "id": recurring.pk,
        "name": recurring.name,
        "description": recurring.description,
        "channel": recurring.channel,
        "status": recurring.status,
        "sender": recurring.sender,
        "text": recurring.text,
        "message": message or recurring.text,
        "templateId": recurring.template_id,
        "templateVariables": recurring.template_variables,
        "contactListId": recurring.contact_list_id,
        "contactList": recurring.contact_list_id,
        "unicode": recurring.unicode,
        "transliterateFields": recurring.transliterate_fields,
        "fallback": recurring.fallback,
        "fallbackText": recurring.fallback_text,
        "simulation": recurring.simulation,
        "goalContactCount": recurring.goal_contact_count,
        "includeLandlines": recurring.include_landlines,
        "rrule": recurring.rrule,
        "timezone": recurring.timezone,
        "schedule": describe(recurring.rrule),
        "startsAt": recurring.starts_at,
        "endsAt": recurring.ends_at,
        "nextRunAt": recurring.next_run_at,
        "nextRunLocal": next_local,
        "lastRunAt": recurring.last_run_at,
        "lastError": recurring.last_error or None,
        "lastErrorAt": recurring.last_error_at,
        "occurrences": occurrences,
        "createdAt": recurring.created_at,
        "updatedAt": recurring.updated_at,
        "endedAt": recurring.ended_at,
    }


def _detail(account: Account, pk: int) -> dict[str, Any]:
    recurring = recurring_get(account=account, pk=pk)
    ids = recurring.occurrences.order_by("-occurrence_at", "-id").values_list(
        "id", flat=True
    )
    return recurring_out(recurring, occurrences=list(ids[:OCCURRENCES_SHOWN]))


_STATUS_CHANGES = {
    RecurringStatus.PAUSED: services.recurring_pause,
    RecurringStatus.ACTIVE: services.recurring_resume,
    RecurringStatus.ENDED: services.recurring_end,
}


def _target(status: str | None) -> str:
    """PUT's `status`, checked before anything changes ("" when not sent)."""
    target = (status or "").upper()
    if target and target not in RecurringStatus.values:
        raise DomainError(
            {"status": "Use one of " + ", ".join(RecurringStatus.values)},
            code=CampaignErrorCode.INVALID_RECURRING_TRANSITION,
        )
    return target


@router.post("/recurring-campaigns", response={201: RecurringOut, **ERRORS})
def recurring_create(request: HttpRequest, payload: RecurringCreateIn):
    """Create a recurring campaign: each run of `rrule` in `timezone` is a new campaign."""
    with errors_named_as_sent(payload.model_fields_set, API_NAMES):
        given = recurring_settings_from(payload, account=request.account, current=None)
        recurring = services.recurring_create(account=request.account, **given)
    return Status(201, recurring_out(recurring, occurrences=[]))


@router.get("/recurring-campaigns", response={200: list[RecurringOut], **ERRORS})
def recurring_list(request: HttpRequest):
    """The account's recurring campaigns, newest first."""
    rows = recurring_for_account(account=request.account, occurrences=OCCURRENCES_SHOWN)
    return [
        recurring_out(r, occurrences=[c.pk for c in r.latest_occurrences])
        for r in rows[:200]
    ]


@router.get(
    "/recurring-campaigns/{int:recurring_id}", response={200: RecurringOut, **ERRORS}
)
def recurring_detail(request: HttpRequest, recurring_id: int):
    return _detail(request.account, recurring_id)


@router.api_operation(
    ["PUT", "PATCH"],
    "/recurring-campaigns/{int:recurring_id}",
    response={200: RecurringOut, **ERRORS},
)
def recurring_update(request: HttpRequest, recurring_id: int, payload: RecurringIn):
    """Change settings or the schedule; `status` PAUSED pauses, ACTIVE resumes."""
    account = request.account
    current = recurring_get(account=account, pk=recurring_id)
    target = _target(payload.status)
    with errors_named_as_sent(payload.model_fields_set, API_NAMES):
        given = recurring_settings_from(payload, account=account, current=current)
        if given:
            current = services.recurring_update(account=account, pk=current.pk, **given)
    if target and target != current.status:  # asking for the current one is a no-op
        _STATUS_CHANGES[target](account=account, pk=current.pk)
    return _detail(account, recurring_id)


@router.delete(
    "/recurring-campaigns/{int:recurring_id}", response={200: RecurringOut, **ERRORS}
)
def recurring_end(request: HttpRequest, recurring_id: int):
    """End it: no more runs (campaigns already made go on)."""
    services.recurring_end(account=request.account, pk=recurring_id)
    return _detail(request.account, recurring_id)
