"""Campaign services: every lifecycle step, for the wizard, the API and admin alike.

Services take the domain's own names as typed keyword arguments (`CampaignSettings`)
and raise `DomainError`s keyed by them; the API edge alone knows the documents'
spellings. Every status change goes through `campaign_transition`, one conditional
UPDATE checked against the transition table. Credit moves in the same transaction
as the status. Services that touch credit lock the account row first, always in
that order, so concurrent confirms and cancels queue instead of deadlocking.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal
from functools import partial
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.credit import credit_release, credit_reserve
from accounts.deadlocks import deadlock_retried
from accounts.digits import ascii_digits
from accounts.errors import Conflict, DomainError
from accounts.inputs import MAX_INT, within_a_year
from accounts.models import Account
from accounts.windows import window_clean
from campaigns.canary import canary_clean
from campaigns.error_codes import CampaignErrorCode
from campaigns.forecast import campaign_forecast, duration_text
from campaigns.models import Campaign, CampaignEvent
from campaigns.quotes import Quote, quote_calculate
from campaigns.selectors import campaign_get
from campaigns.speed import MAX_PER_MINUTE, MAX_SPREAD_HOURS
from campaigns.states import ACTIVE, EDITABLE, Status
from campaigns.transitions import InvalidTransition, campaign_transition
from contacts.models import ContactList
from messaging import segments
from messaging.fallback import fallback_discard
from messaging.links import links_template
from messaging.models import Channel
from messaging.senders import sender_valid
from messaging.whatsapp_templates import (
    DEFAULT_LANGUAGE,
    MAX_TEMPLATE_VARIABLES,
    mapping_check,
    template_resolve,
)


class CampaignSettings(TypedDict, total=False):
    """What a user sets on a campaign before confirming it; all optional on update."""

    name: str
    description: str
    channel: str
    sender: str
    text: str
    template_id: str
    template_variables: dict[str, str]
    contact_list: ContactList | None
    unicode: bool
    transliterate_fields: bool
    fallback: bool
    fallback_text: str
    simulation: bool
    send_immediately: bool
    scheduled_at: datetime | None
    goal_contact_count: int | None
    send_window: dict[str, Any] | None
    max_per_minute: int | None
    spread_hours: int | None
    canary: dict[str, Any] | bool | None
    track_links: bool
    include_landlines: bool


SETTINGS_FIELDS = tuple(CampaignSettings.__annotations__)
# Cleared by any edit: a quote describes the settings it was calculated for.
QUOTE_FIELDS = (
    "total_recipients",
    "valid_recipients",
    "malformed_recipients",
    "duplicate_recipients",
    "blacklisted_recipients",
    "recipient_count",
    "estimated_parts",
    "parts_per_message",
    "estimated_cost",
    "cost_per_message",
    "calculated_at",
)
RICH_MAX_CHARS = 1000
TEMPLATE_ID_MAX_CHARS = Campaign._meta.get_field("template_id").max_length
MAX_COLUMN_NAME = 100  # a list column a template variable names
MAINTENANCE_HOURS = (time(2, 0), time(4, 0))


def _clean(
    *, account: Account, given: CampaignSettings, current: Campaign | None
) -> dict[str, Any]:
    """Validate `given` settings (merged over `current`); errors name domain fields."""
    errors: dict[str, str] = {}
    codes: list[CampaignErrorCode] = []

    def refuse(field: str, code: CampaignErrorCode, message: str) -> None:
        errors[field] = message
        codes.append(code)

    merged: dict[str, Any] = (
        {f: getattr(current, f) for f in SETTINGS_FIELDS} if current else {}
    )
    merged.update(given)
    cleaned: dict[str, Any] = dict(given)

    if "name" in given or current is None:
        name = (merged.get("name") or "").strip()
        if not name:
            refuse("name", CampaignErrorCode.REQUIRED, _("A campaign needs a name."))
        cleaned["name"] = name[:200]
    if "channel" in given:
        channel = str(given["channel"] or "").upper()
        if channel not in Channel.values:
            refuse(
                "channel",
                CampaignErrorCode.INVALID_CHANNEL,
                _("Channel must be SMS, RCS or WHATSAPP (any case)."),
            )
        cleaned["channel"] = channel
    channel = cleaned.get("channel") or merged.get("channel") or Channel.SMS
    if given.get("sender"):
        sender = str(given["sender"]).strip()
        if not sender_valid(sender):
            refuse(
                "sender",
                CampaignErrorCode.INVALID_SENDER,
                _(
                    "Sender must be up to 11 letters or digits, or a number of up to "
                    "15 digits (14 after a +)."
                ),
            )
        cleaned["sender"] = sender
    contact_list = given.get("contact_list")
    if contact_list is not None and contact_list.account_id != account.pk:
        refuse(
            "contact_list",
            CampaignErrorCode.CONTACT_LIST_NOT_FOUND,
            _("Contact list not found."),
        )
    text = merged.get("text") or ""
    if "text" in given and text:
        if channel == Channel.SMS:
            info = segments.analyze(
                text,
                unicode=bool(merged.get("unicode")),
                max_parts=settings.SMS_MAX_PARTS,
            )
            if info.too_long:
                refuse(
                    "text",
                    CampaignErrorCode.TEXT_TOO_LONG,
                    _("The message needs %(parts)d SMS parts; the maximum is %(max)d.")
                    % {"parts": info.parts, "max": settings.SMS_MAX_PARTS},
                )
        elif len(text) > RICH_MAX_CHARS:
            refuse(
                "text",
                CampaignErrorCode.TEXT_TOO_LONG,
                _("RCS and WhatsApp messages are limited to 1000 characters."),
            )
    sms_fallback = given.get("fallback_text") or ""
    if sms_fallback:
        info = segments.analyze(
            sms_fallback,
            unicode=bool(merged.get("unicode")),
            max_parts=settings.SMS_MAX_PARTS,
        )
        if info.too_long:
            refuse(
                "fallback_text",
                CampaignErrorCode.TEXT_TOO_LONG,
                _("The SMS needs %(parts)d parts; the maximum is %(max)d.")
                % {"parts": info.parts, "max": settings.SMS_MAX_PARTS},
            )
    if "template_variables" in given and not _mapping_valid(
        given["template_variables"] or {}
    ):
        refuse(
            "template_variables",
            CampaignErrorCode.TEMPLATE_VARIABLES,
            _(
                "Map variables by number (1 to %(max)s) to list columns: "
                '{"1": "first_name"}.'
            )
            % {"max": MAX_TEMPLATE_VARIABLES},
        )
    if channel == Channel.WHATSAPP and {
        "channel",
        "template_id",
        "template_variables",
    } & set(given):
        _clean_template(account=account, merged=merged, cleaned=cleaned, refuse=refuse)
    # The guide's `message` is the template id on RCS and WhatsApp: bound it by
    # the column here, where the channel that decides is known.
    template_id = given.get("template_id") or ""
    if len(template_id) > TEMPLATE_ID_MAX_CHARS:
        refuse(
            "template_id",
            CampaignErrorCode.TEXT_TOO_LONG,
            _("A template id is at most %(max)s characters.")
            % {"max": TEMPLATE_ID_MAX_CHARS},
        )
    goal = given.get("goal_contact_count")
    if goal is not None and (problem := _goal_problem(goal)):
        refuse("goal_contact_count", CampaignErrorCode.INVALID_GOAL, problem)
    if "send_window" in given:
        try:
            cleaned["send_window"] = window_clean(given["send_window"])
        except DomainError as exc:
            refuse("send_window", CampaignErrorCode.INVALID_SEND_WINDOW, exc.message)
    if "canary" in given:
        try:
            cleaned["canary"] = canary_clean(given["canary"])
        except DomainError as exc:
            refuse("canary", CampaignErrorCode.INVALID_CANARY, exc.message)
    for field, most in (
        ("max_per_minute", MAX_PER_MINUTE),
        ("spread_hours", MAX_SPREAD_HOURS),
    ):
        value = given.get(field)
        if value is not None and not 1 <= value <= most:
            refuse(
                field,
                CampaignErrorCode.INVALID_SPEED,
                _("Use a number from 1 to %(max)s.") % {"max": most},
            )
    if merged.get("max_per_minute") and merged.get("spread_hours"):
        refuse(
            "max_per_minute",
            CampaignErrorCode.INVALID_SPEED,
            _("Choose a rate per minute or a spread over hours, not both."),
        )
    # A past time is kept (the guide's own examples are dated 2025): confirmation
    # is where a schedule must lie in the future, and says so there. A time
    # beyond a year ahead, or beyond what can be stored, is refused at once.
    when = given.get("scheduled_at")
    if when is not None and (problem := _schedule_problem(when)):
        refuse("scheduled_at", CampaignErrorCode.SCHEDULE_TOO_FAR, problem)
    if errors:
        raise DomainError(errors, code=codes[0])
    return cleaned


def _clean_template(
    *,
    account: Account,
    merged: dict[str, Any],
    cleaned: dict[str, Any],
    refuse: Callable[[str, CampaignErrorCode, str], None],
) -> None:
    """Resolve a WhatsApp `template_id` against the account's approved templates.

    Sets `template_language`; once the account has synced templates, a name
    that is not approved, or a variable left without a list column, is refused.
    """
    template_id = str(merged.get("template_id") or "").strip()
    mapping = merged.get("template_variables") or {}
    if not _mapping_valid(mapping):
        return  # refused by the caller, whatever the channel
    if not template_id:
        return
    try:
        template = template_resolve(account_id=account.pk, template_id=template_id)
    except DomainError as exc:
        refuse("template_id", CampaignErrorCode.TEMPLATE_NOT_APPROVED, exc.message)
        return
    if template is None:
        cleaned["template_language"] = template_id.partition(":")[2] or DEFAULT_LANGUAGE
        return
    cleaned["template_language"] = template.language
    try:
        mapping_check(template=template, mapping=mapping)
    except DomainError as exc:
        refuse("template_variables", CampaignErrorCode.TEMPLATE_VARIABLES, exc.message)


def _mapping_valid(mapping: object) -> bool:
    """Whether template variables map numbers 1 to MAX_TEMPLATE_VARIABLES to
    column names: anything else is refused before it is stored, since every
    send builds one parameter per number up to the highest."""
    return isinstance(mapping, dict) and all(
        ascii_digits(key)
        and 1 <= int(key) <= MAX_TEMPLATE_VARIABLES
        and isinstance(value, str)
        and len(value) <= MAX_COLUMN_NAME
        for key, value in mapping.items()
    )


def _goal_problem(goal: int) -> str:
    """Why a recipients cap is refused, or "" (the column is a 32-bit integer)."""
    if goal < 1:
        return _("The recipients cap must be at least 1.")
    if goal > MAX_INT:
        return _("The recipients cap must be at most %(max)s.") % {"max": MAX_INT}
    return ""


def _schedule_problem(when: datetime) -> str:
    """Why a schedule is refused outright, or "": storable and within a year."""
    if not within_a_year(when, now=timezone.now()):
        return _("The scheduled time must be within a year from now.")
    return ""


def campaign_settings_clean(
    *, account: Account, **given: Unpack[CampaignSettings]
) -> dict[str, Any]:
    """Check settings as `campaign_create` would, without creating anything.

    For settings kept to create campaigns later (a recurring campaign's).
    """
    return _clean(account=account, given=given, current=None)


def _is_complete(campaign: Campaign) -> bool:
    """Whether the settings suffice to price and send: the CONFIGURED condition."""
    message = (
        campaign.text
        if campaign.channel == Channel.SMS
        else (campaign.template_id or campaign.text)
    )
    return bool(
        campaign.name and campaign.channel and message and campaign.contact_list_id
    )


def campaign_create(
    *,
    account: Account,
    actor: AbstractBaseUser | None = None,
    **given: Unpack[CampaignSettings],
) -> Campaign:
    """Create a campaign; CONFIGURED at once when its settings are complete."""
    if "send_window" not in given and account.send_window:
        given = {**given, "send_window": account.send_window}
    cleaned = _clean(account=account, given=given, current=None)
    with transaction.atomic():
        campaign = Campaign(account=account, created_by=actor, **cleaned)
        if not campaign.channel:
            campaign.channel = Channel.SMS
        complete = _is_complete(campaign)
        campaign.status = Status.CONFIGURED if complete else Status.DRAFT
        campaign.configured_at = timezone.now() if complete else None
        campaign.save()
        CampaignEvent.objects.create(
            campaign=campaign, from_status="", to_status=campaign.status, actor=actor
        )
    return campaign


def campaign_update(
    *,
    account: Account,
    pk: int,
    actor: AbstractBaseUser | None = None,
    **given: Unpack[CampaignSettings],
) -> Campaign:
    """Change settings before confirmation; a priced campaign goes back to CONFIGURED."""
    with transaction.atomic():
        campaign = campaign_get(account=account, pk=pk, for_update=True)
        if campaign.status not in EDITABLE:
            # Refused before any message about settings that could never apply.
            raise InvalidTransition(current=campaign.status, target=Status.CONFIGURED)
        cleaned = _clean(account=account, given=given, current=campaign)
        for name, value in cleaned.items():
            setattr(campaign, name, value)
        complete = _is_complete(campaign)
        values = {
            **cleaned,
            **dict.fromkeys(QUOTE_FIELDS),
            "encoding": "",
            "quote": {},
        }
        if complete and not campaign.configured_at:
            values["configured_at"] = timezone.now()
        campaign_transition(
            campaign=campaign,
            target=Status.CONFIGURED if complete else Status.DRAFT,
            actor=actor,
            **values,
        )
    return campaign


def campaign_calculate(
    *,
    account: Account,
    pk: int,
    goal_contact_count: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> Campaign:
    """Validate recipients and price the campaign (COST_CALCULATED).

    The calculation runs outside any lock (it may read a million rows); the result
    is stored only if the settings did not change meanwhile (same `updated_at`),
    and bumps the quote version that a confirmation checks.
    """
    campaign = campaign_get(account=account, pk=pk)
    if campaign.contact_list_id is None and campaign.status in EDITABLE:
        raise DomainError(
            {"contact_list": "Contact list is required before calculating cost"},
            code=CampaignErrorCode.CONTACT_LIST_REQUIRED,
        )
    if campaign.status == Status.DRAFT:
        raise DomainError(
            {"text": _("Compose the message before calculating cost.")},
            code=CampaignErrorCode.MESSAGE_REQUIRED,
        )
    if goal_contact_count is not None:
        if problem := _goal_problem(goal_contact_count):
            raise DomainError(
                {"goal_contact_count": problem}, code=CampaignErrorCode.INVALID_GOAL
            )
        campaign.goal_contact_count = goal_contact_count
    if campaign.status not in {Status.CONFIGURED, Status.COST_CALCULATED}:
        raise InvalidTransition(current=campaign.status, target=Status.COST_CALCULATED)
    quote = quote_calculate(as_sent(campaign))
    quote_json = {**quote.as_json(), **_forecast_json(campaign, quote)}
    campaign_transition(
        campaign=campaign,
        target=Status.COST_CALCULATED,
        actor=actor,
        condition=Q(updated_at=campaign.updated_at),
        lost=_(
            "The campaign changed while its cost was being calculated; calculate again."
        ),
        goal_contact_count=campaign.goal_contact_count,
        total_recipients=quote.total,
        last_contact_id=quote.last_contact_id,
        valid_recipients=quote.valid,
        malformed_recipients=quote.malformed,
        duplicate_recipients=quote.duplicates,
        blacklisted_recipients=quote.blacklisted,
        recipient_count=quote.recipients,
        estimated_parts=quote.parts,
        encoding=quote.encoding,
        parts_per_message=quote.parts_per_message,
        estimated_cost=quote.cost,
        cost_per_message=quote.unit_price,
        quote=quote_json,
        calculated_at=timezone.now(),
        quote_version=F("quote_version") + 1,
    )
    return campaign


def as_sent(campaign: Campaign) -> Campaign:
    """The campaign with its text as recipients get it: tracked URLs and
    `{{optout_link}}` as short links of their real length (the codes aside), so
    parts and prices are those of what is sent. A copy: nothing is saved."""
    template = links_template(campaign.text, track=campaign.track_links)
    if not template.is_linked:
        return campaign
    sent = copy.copy(campaign)
    sent.text = template.text
    return sent


def _forecast_json(campaign: Campaign, quote: Quote) -> dict[str, Any]:
    """The completion forecast of the quote's recipients, for `Campaign.quote`."""
    campaign.recipient_count = quote.recipients
    campaign.estimated_parts = quote.parts
    campaign.parts_per_message = quote.parts_per_message
    campaign.last_contact_id = quote.last_contact_id
    forecast = campaign_forecast(campaign)
    return {
        "estimatedDuration": duration_text(forecast.seconds),
        "forecast": forecast.as_json(),
    }


def maintenance_warning(*, account: Account, when: datetime | None) -> str:
    """A warning when `when` falls in the carriers' 02:00-04:00 window (account time)."""
    if when is None:
        return ""
    local = when.astimezone(ZoneInfo(account.timezone)).time()
    start, end = MAINTENANCE_HOURS
    if start <= local < end:
        return _(
            "Carriers often run maintenance between 02:00 and 04:00: messages may be "
            "delayed. Consider another time."
        )
    return ""


def _check_confirmable(*, account: Account, campaign: Campaign) -> None:
    """The account's limits, checked under its row lock (see `campaign_confirm`)."""
    active = Campaign.objects.filter(account=account, status__in=ACTIVE).count()
    if active >= settings.CAMPAIGN_MAX_ACTIVE:
        raise Conflict(
            {
                "campaigns": _("At most %(max)d campaigns can be active at once.")
                % {"max": settings.CAMPAIGN_MAX_ACTIVE}
            },
            code=CampaignErrorCode.TOO_MANY_ACTIVE,
        )
    if (campaign.recipient_count or 0) > settings.CAMPAIGN_MAX_RECIPIENTS:
        raise DomainError(
            {
                "recipients": _("A campaign can have at most %(max)s recipients.")
                % {"max": f"{settings.CAMPAIGN_MAX_RECIPIENTS:,}"}
            },
            code=CampaignErrorCode.TOO_MANY_RECIPIENTS,
        )
    if not campaign.recipient_count:
        raise DomainError(
            {"recipients": _("The campaign has no valid recipients.")},
            code=CampaignErrorCode.NO_RECIPIENTS,
        )


def campaign_confirm(
    *,
    account: Account,
    pk: int,
    send_immediately: bool | None = None,
    scheduled_at: datetime | None = None,
    simulation: bool | None = None,
    actor: AbstractBaseUser | None = None,
) -> Campaign:
    """Confirm for now (CONFIRMED) or a time (SCHEDULED) and reserve the price.

    A CONFIGURED campaign is priced first. `simulation` (UC-006 puts it in the
    confirm body too) turns the campaign into a free dry run before it is locked.
    The reservation, the status change and the checks of the account's limits
    happen in one transaction under the account row lock: an insufficient balance
    (402) or a lost race (409) changes nothing. The confirming UPDATE also checks
    the quote version it read, so the amount reserved is the price confirmed: a
    recalculation either lands first (and its price is the one reserved here) or
    is refused.
    """
    campaign = campaign_get(account=account, pk=pk)
    if campaign.status in {Status.DRAFT, Status.CONFIGURED}:
        campaign = campaign_calculate(account=account, pk=pk, actor=actor)
    if scheduled_at is None and not send_immediately and not campaign.send_immediately:
        scheduled_at = campaign.scheduled_at
    if send_immediately:
        scheduled_at = None
    if send_immediately is False and scheduled_at is None:
        # Asked explicitly not to send now, and no time to send at: sending now
        # anyway would do the opposite of what the request says.
        raise DomainError(
            {
                "scheduled_at": _(
                    "Give the time to send at, or ask to send immediately."
                )
            },
            code=CampaignErrorCode.SCHEDULE_REQUIRED,
        )
    now = timezone.now()
    if scheduled_at is not None and (problem := _schedule_problem(scheduled_at)):
        raise DomainError(
            {"scheduled_at": problem}, code=CampaignErrorCode.SCHEDULE_TOO_FAR
        )
    if scheduled_at is not None and scheduled_at <= now:
        raise DomainError(
            {"scheduled_at": _("The scheduled time must be in the future.")},
            code=CampaignErrorCode.SCHEDULE_IN_PAST,
        )
    target = Status.SCHEDULED if scheduled_at else Status.CONFIRMED

    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        current = campaign_get(account=account, pk=pk)
        if current.status != Status.COST_CALCULATED:
            raise InvalidTransition(current=current.status, target=target)
        _check_confirmable(account=account, campaign=current)
        is_simulation = current.simulation if simulation is None else simulation
        amount = current.estimated_cost or Decimal("0")
        campaign_transition(
            campaign=current,
            target=target,
            actor=actor,
            note=_("simulation") if is_simulation else "",
            condition=Q(quote_version=current.quote_version),
            lost=_("The cost was recalculated meanwhile; check the new price."),
            simulation=is_simulation,
            send_immediately=target == Status.CONFIRMED,
            scheduled_at=scheduled_at,
            confirmed_at=now,
            reserved_amount=0 if is_simulation else amount,
        )
        if amount and not is_simulation:
            credit_reserve(
                account=account, amount=amount, reference=current.reference, actor=actor
            )
        # Sending for now starts at once; for later, the recipients freeze now.
        task = "campaigns.start" if target == Status.CONFIRMED else "campaigns.prepare"
        transaction.on_commit(partial(current_app.send_task, task, args=[current.pk]))
    return current


def campaign_cancel(
    *,
    account: Account,
    pk: int,
    actor: AbstractBaseUser | None = None,
    note: str = "",
) -> Campaign:
    """Cancel before sending and give any reservation back (a RELEASE row).

    `note` is kept on the history row: why a campaign was canceled, when it
    was not a person's choice (a skipped run of a recurring campaign).
    """
    return deadlock_retried(
        partial(_cancel, account=account, pk=pk, actor=actor, note=note)
    )


def _cancel(
    *, account: Account, pk: int, actor: AbstractBaseUser | None, note: str
) -> Campaign:
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        campaign = campaign_get(account=account, pk=pk, for_update=True)
        amount = campaign.reserved_amount
        campaign_transition(
            campaign=campaign,
            target=Status.CANCELED,
            actor=actor,
            note=note,
            canceled_at=timezone.now(),
            reserved_amount=Decimal("0"),
        )
        if amount > 0:
            credit_release(
                account=account,
                amount=amount,
                reference=campaign.reference,
                actor=actor,
            )
        fallback_discard(campaign.pk)  # prepared for later: its SMS drafts go
    return campaign
