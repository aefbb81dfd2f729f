"""Campaign services: every lifecycle step, for the wizard, the API and admin alike.

Each transition checks the current status in the same statement that changes it
(a conditional UPDATE, or a row lock for read-decide-write steps), so two clicks or
two workers never both win. Credit moves in the same transaction as the status.
Services that touch credit lock the account row first, always in that order, so
concurrent confirms and cancels queue instead of deadlocking.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.credit import credit_release, credit_reserve
from accounts.errors import Conflict, DomainError
from accounts.models import Account
from campaigns.models import Campaign, CampaignEvent
from campaigns.quotes import quote_calculate
from campaigns.selectors import campaign_get
from campaigns.states import ACTIVE, CALCULABLE, CANCELABLE, EDITABLE, Status
from contacts.models import ContactList
from messaging import segments
from messaging.models import Channel

SETTINGS_FIELDS = (
    "name",
    "description",
    "channel",
    "sender",
    "text",
    "template_id",
    "template_variables",
    "contact_list",
    "unicode",
    "transliterate_fields",
    "fallback",
    "fallback_text",
    "simulation",
    "send_immediately",
    "scheduled_at",
    "goal_contact_count",
)
QUOTE_FIELDS = (
    "total_recipients",
    "valid_recipients",
    "invalid_recipients",
    "duplicate_recipients",
    "blacklisted_recipients",
    "total_contacts",
    "estimated_parts",
    "parts_per_message",
    "estimated_cost",
    "cost_per_message",
    "calculated_at",
)
RICH_MAX_CHARS = 1000
_ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9 .\-&']{1,11}$")
_NUMERIC_SENDER = re.compile(r"^\+?[0-9]{1,15}$")
MAINTENANCE_HOURS = (time(2, 0), time(4, 0))


def _event(campaign: Campaign, old: str, new: str, actor=None, note: str = "") -> None:
    CampaignEvent.objects.create(
        campaign=campaign, from_status=old, to_status=new, actor=actor, note=note[:300]
    )


def _clean(*, account: Account, data: dict[str, Any], current: Campaign | None) -> dict:
    """Validate settings (merged over `current`); errors name the API's fields."""
    errors: dict[str, str] = {}
    merged = {f: getattr(current, f) for f in SETTINGS_FIELDS} if current else {}
    merged.update(data)
    cleaned = dict(data)

    name = (merged.get("name") or "").strip()
    if "name" in data or current is None:
        if not name:
            errors["name"] = _("A campaign needs a name.")
        cleaned["name"] = name[:200]
    if "channel" in data:
        channel = str(data["channel"] or "").upper()
        if channel not in Channel.values:
            errors["channel"] = _("Channel must be sms, rcs or whatsapp.")
        cleaned["channel"] = channel
    channel = cleaned.get("channel") or merged.get("channel") or Channel.SMS
    if data.get("sender"):
        sender = str(data["sender"]).strip()
        if not (_ALPHANUMERIC_SENDER.match(sender) or _NUMERIC_SENDER.match(sender)):
            errors["sender"] = _(
                "Sender must be up to 11 letters or digits, or a number of up to 15 digits."
            )
        cleaned["sender"] = sender
    if "contact_list" in data and data["contact_list"] is not None:
        contact_list = data["contact_list"]
        if not isinstance(contact_list, ContactList):
            lists = ContactList.objects.filter(account=account)
            ref = str(contact_list).strip()
            # An id (87, "87", "list_87"), else the guide's list names ("all_users").
            digits = ref.rsplit("_", 1)[-1]
            contact_list = (
                lists.filter(pk=int(digits)).first() if digits.isdigit() else None
            ) or lists.filter(name=ref).order_by("-created_at").first()
        if contact_list is None or contact_list.account_id != account.pk:
            errors["contactListId"] = _("Contact list not found.")
        cleaned["contact_list"] = contact_list
    text = merged.get("text") or ""
    if "text" in data and text:
        if channel == Channel.SMS:
            info = segments.analyze(
                text,
                unicode=bool(merged.get("unicode")),
                max_parts=settings.SMS_MAX_PARTS,
            )
            if info.too_long:
                errors["text"] = _(
                    "The message needs %(parts)d SMS parts; the maximum is %(max)d."
                ) % {"parts": info.parts, "max": settings.SMS_MAX_PARTS}
        elif len(text) > RICH_MAX_CHARS:
            errors["text"] = _(
                "RCS and WhatsApp messages are limited to 1000 characters."
            )
    if (
        data.get("goal_contact_count") is not None
        and int(data["goal_contact_count"]) < 1
    ):
        errors["goalContactCount"] = _("The recipients cap must be at least 1.")
    # A past time is kept (the guide's own examples are dated 2025): confirmation
    # is where a schedule must lie in the future, and says so there.
    if errors:
        raise DomainError(errors)
    return cleaned


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


def campaign_create(*, account: Account, data: dict[str, Any], actor=None) -> Campaign:
    """Create a campaign; CONFIGURED at once when its settings are complete."""
    cleaned = _clean(account=account, data=data, current=None)
    with transaction.atomic():
        campaign = Campaign(account=account, created_by=actor, **cleaned)
        if not campaign.channel:
            campaign.channel = Channel.SMS
        complete = _is_complete(campaign)
        campaign.status = Status.CONFIGURED if complete else Status.DRAFT
        campaign.configured_at = timezone.now() if complete else None
        campaign.save()
        _event(campaign, "", campaign.status, actor)
    return campaign


def campaign_update(
    *, account: Account, pk: int, data: dict[str, Any], actor=None
) -> Campaign:
    """Change settings before confirmation; a priced campaign goes back to CONFIGURED."""
    with transaction.atomic():
        campaign = campaign_get(account=account, pk=pk, for_update=True)
        if campaign.status not in EDITABLE:
            raise Conflict(
                {
                    "status": _("A %(status)s campaign cannot be modified.")
                    % {"status": campaign.get_status_display().lower()}
                }
            )
        cleaned = _clean(account=account, data=data, current=campaign)
        old = campaign.status
        for name, value in cleaned.items():
            setattr(campaign, name, value)
        for name in QUOTE_FIELDS:
            setattr(campaign, name, None)
        campaign.encoding, campaign.quote = "", {}
        complete = _is_complete(campaign)
        campaign.status = Status.CONFIGURED if complete else Status.DRAFT
        if complete and not campaign.configured_at:
            campaign.configured_at = timezone.now()
        campaign.save()
        if old != campaign.status:
            _event(campaign, old, campaign.status, actor)
    return campaign


def campaign_calculate(
    *, account: Account, pk: int, goal_contact_count: int | None = None, actor=None
) -> Campaign:
    """Validate recipients and price the campaign (COST_CALCULATED).

    The calculation runs outside any lock (it may read a million rows); the result
    is stored only if the settings did not change meanwhile (same `updated_at`).
    """
    campaign = campaign_get(account=account, pk=pk)
    if campaign.contact_list_id is None and campaign.status in EDITABLE:
        raise DomainError(
            {"contactListId": "Contact list is required before calculating cost"}
        )
    if campaign.status not in CALCULABLE:
        if campaign.status == Status.DRAFT:
            raise DomainError(
                {"text": _("Compose the message before calculating cost.")}
            )
        raise Conflict(
            {
                "status": _("The cost of a %(status)s campaign cannot be recalculated.")
                % {"status": campaign.get_status_display().lower()}
            }
        )
    if goal_contact_count is not None:
        if goal_contact_count < 1:
            raise DomainError(
                {"goalContactCount": _("The recipients cap must be at least 1.")}
            )
        campaign.goal_contact_count = goal_contact_count
    quote = quote_calculate(campaign)
    now = timezone.now()
    values = {
        "status": Status.COST_CALCULATED,
        "goal_contact_count": campaign.goal_contact_count,
        "total_recipients": quote.total,
        "valid_recipients": quote.valid,
        "invalid_recipients": quote.invalid,
        "duplicate_recipients": quote.duplicates,
        "blacklisted_recipients": quote.blacklisted,
        "total_contacts": quote.recipients,
        "estimated_parts": quote.parts,
        "encoding": quote.encoding,
        "parts_per_message": quote.parts_per_message,
        "estimated_cost": quote.cost,
        "cost_per_message": quote.unit_price,
        "quote": quote.as_json(),
        "calculated_at": now,
        "updated_at": now,
    }
    with transaction.atomic():
        stored = Campaign.objects.filter(
            pk=campaign.pk, status__in=CALCULABLE, updated_at=campaign.updated_at
        ).update(**values)
        if not stored:
            raise Conflict(
                {
                    "status": _(
                        "The campaign changed while its cost was being calculated; "
                        "calculate again."
                    )
                }
            )
        if campaign.status != Status.COST_CALCULATED:
            _event(campaign, campaign.status, Status.COST_CALCULATED, actor)
    campaign.refresh_from_db()
    return campaign


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


def campaign_confirm(
    *,
    account: Account,
    pk: int,
    send_immediately: bool | None = None,
    scheduled_at: datetime | None = None,
    simulation: bool | None = None,
    actor=None,
) -> Campaign:
    """Confirm for now (CONFIRMED) or a time (SCHEDULED) and reserve the price.

    A CONFIGURED campaign is priced first. `simulation` (UC-006 puts it in the
    confirm body too) turns the campaign into a free dry run before it is locked. The reservation, the status change and
    the checks of the account's limits happen in one transaction under the account
    row lock: an insufficient balance (402) or a lost race (409) changes nothing.
    """
    campaign = campaign_get(account=account, pk=pk)
    if campaign.status in {Status.DRAFT, Status.CONFIGURED}:
        campaign = campaign_calculate(account=account, pk=pk, actor=actor)
    if scheduled_at is None and not send_immediately and not campaign.send_immediately:
        scheduled_at = campaign.scheduled_at
    if send_immediately:
        scheduled_at = None
    now = timezone.now()
    if scheduled_at is not None and scheduled_at <= now:
        raise DomainError(
            {"scheduledDate": _("The scheduled time must be in the future.")}
        )
    target = Status.SCHEDULED if scheduled_at else Status.CONFIRMED

    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        current = campaign_get(account=account, pk=pk)
        if current.status != Status.COST_CALCULATED:
            raise Conflict(
                {
                    "status": _("A %(status)s campaign cannot be confirmed.")
                    % {"status": current.get_status_display().lower()}
                }
            )
        active = Campaign.objects.filter(account=account, status__in=ACTIVE).count()
        if active >= settings.CAMPAIGN_MAX_ACTIVE:
            raise Conflict(
                {
                    "campaigns": _("At most %(max)d campaigns can be active at once.")
                    % {"max": settings.CAMPAIGN_MAX_ACTIVE}
                }
            )
        if (current.total_contacts or 0) > settings.CAMPAIGN_MAX_RECIPIENTS:
            raise DomainError(
                {
                    "recipients": _("A campaign can have at most %(max)s recipients.")
                    % {"max": f"{settings.CAMPAIGN_MAX_RECIPIENTS:,}"}
                }
            )
        if not current.total_contacts:
            raise DomainError(
                {"recipients": _("The campaign has no valid recipients.")}
            )
        if simulation is not None:
            current.simulation = simulation
        amount = current.estimated_cost or 0
        won = Campaign.objects.filter(pk=pk, status=Status.COST_CALCULATED).update(
            status=target,
            simulation=current.simulation,
            send_immediately=target == Status.CONFIRMED,
            scheduled_at=scheduled_at,
            confirmed_at=now,
            reserved_amount=0 if current.simulation else amount,
            updated_at=now,
        )
        if not won:
            raise Conflict({"status": _("The campaign was confirmed meanwhile.")})
        if amount and not current.simulation:
            credit_reserve(
                account=account, amount=amount, reference=current.reference, actor=actor
            )
        note = _("simulation") if current.simulation else ""
        _event(current, Status.COST_CALCULATED, target, actor, note)
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(*, account: Account, pk: int, actor=None) -> Campaign:
    """Cancel before sending and give any reservation back (a RELEASE row)."""
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        campaign = campaign_get(account=account, pk=pk, for_update=True)
        if campaign.status not in CANCELABLE:
            raise Conflict(
                {
                    "status": _("A %(status)s campaign cannot be canceled.")
                    % {"status": campaign.get_status_display().lower()}
                }
            )
        old, amount = campaign.status, campaign.reserved_amount
        campaign.status = Status.CANCELED
        campaign.canceled_at = timezone.now()
        campaign.reserved_amount = Decimal("0")
        campaign.save(
            update_fields=["status", "canceled_at", "reserved_amount", "updated_at"]
        )
        if amount > 0:
            credit_release(
                account=account,
                amount=amount,
                reference=campaign.reference,
                actor=actor,
            )
        _event(campaign, old, Status.CANCELED, actor)
    return campaign
