"""Recurring campaigns: create, change, pause, resume and end one; run what is due.

A recurring campaign keeps campaign settings and a schedule (an RFC 5545 rule in
an IANA zone, `campaigns.recurrence`). Each run is a new campaign made from those
settings with `campaign_create` and confirmed with `campaign_confirm`, so it has
its own quote, reservation and statistics. A run that cannot go ahead (too little
credit, no valid recipients, too many active campaigns) is canceled with the
reason on its history row, and the reason is kept in `last_error` for the pages
and the API; the next run is scheduled all the same.

Exactly one campaign per run: the ticker claims a due row by a conditional UPDATE
of the `next_run_at` it read (two tickers, or a restart, find nothing left to
claim), creates the occurrence in the same transaction, and the unique
(recurring, occurrence_at) constraint is the backstop. Pricing and confirming
happen after that commit, outside any lock; an occurrence left unconfirmed by a
crash in between is confirmed by a later tick (`STALLED_AFTER`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Conflict, DomainError
from accounts.models import Account
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import Campaign, RecurringCampaign
from campaigns.recurrence import clean_rule, clean_timezone, next_run
from campaigns.selectors import recurring_get
from campaigns.services import (
    campaign_cancel,
    campaign_confirm,
    campaign_create,
    campaign_settings_clean,
)
from campaigns.states import EDITABLE, RecurringStatus
from contacts.models import ContactList
from messaging.models import Channel

logger = logging.getLogger(__name__)

Status = RecurringStatus

# A run found this late (the ticker was down) is skipped: a Monday-morning
# reminder is not sent on Monday evening.
LATE_AFTER = timedelta(hours=1)
# An occurrence still unconfirmed this long after its creation lost its runner.
STALLED_AFTER = timedelta(minutes=5)
RUNS_PER_TICK = 50
# Refusals that mean another runner moved the occurrence on: not a reason to skip.
_RACES = {CampaignErrorCode.INVALID_TRANSITION, CampaignErrorCode.CHANGED_MEANWHILE}


class RecurringSettings(TypedDict, total=False):
    """What a user sets on a recurring campaign: campaign settings and a schedule."""

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
    goal_contact_count: int | None
    include_landlines: bool
    rrule: str
    timezone: str
    starts_at: datetime
    ends_at: datetime | None


SCHEDULE_FIELDS = ("rrule", "timezone", "starts_at", "ends_at")
SETTINGS_FIELDS = tuple(
    name for name in RecurringSettings.__annotations__ if name not in SCHEDULE_FIELDS
)


def _clean_settings(*, account: Account, values: dict[str, Any]) -> dict[str, Any]:
    """Campaign settings checked as `campaign_create` checks them, and complete:
    every run is sent without anyone there to finish its setup."""
    cleaned = campaign_settings_clean(account=account, **values)
    merged = {**values, **cleaned}
    channel = merged.get("channel") or Channel.SMS
    errors: dict[str, str] = {}
    if merged.get("contact_list") is None:
        errors["contact_list"] = _("Choose the contact list each run is sent to.")
    message = merged.get("text") or (
        merged.get("template_id") if channel != Channel.SMS else ""
    )
    if not message:
        field = "text" if channel == Channel.SMS else "template_id"
        errors[field] = _("Write the message each run sends.")
    if errors:
        raise DomainError(errors, code=CampaignErrorCode.REQUIRED)
    return merged


def _start_of_minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def _first_run(recurring: RecurringCampaign, *, now: datetime) -> datetime | None:
    """The schedule's first run after `now`, or at its start when that is later."""
    after = max(now, recurring.starts_at - timedelta(microseconds=1))
    return next_run(
        rule=recurring.rrule,
        zone=recurring.timezone,
        starts_at=recurring.starts_at,
        after=after,
        ends_at=recurring.ends_at,
    )


def _clean_schedule(recurring: RecurringCampaign, *, now: datetime) -> datetime:
    """Check the schedule set on `recurring` and return its first run (400 if none)."""
    recurring.rrule = clean_rule(recurring.rrule)
    recurring.timezone = clean_timezone(recurring.timezone)
    if recurring.ends_at is not None and recurring.ends_at <= max(
        now, recurring.starts_at
    ):
        raise DomainError(
            {"ends_at": _("The end must be after the start and in the future.")},
            code=CampaignErrorCode.NO_OCCURRENCE,
        )
    first = _first_run(recurring, now=now)
    if first is None:
        raise DomainError(
            {"rrule": _("This schedule has no run left.")},
            code=CampaignErrorCode.NO_OCCURRENCE,
        )
    return first


def recurring_create(
    *,
    account: Account,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
    **given: Unpack[RecurringSettings],
) -> RecurringCampaign:
    """Create an ACTIVE recurring campaign whose first run is the rule's next one.

    The schedule starts now (or at `starts_at`) in `timezone`, the account's zone
    unless given; `now` is the clock, for tests.
    """
    now = now or timezone.now()
    values = {name: given[name] for name in SETTINGS_FIELDS if name in given}
    settings = _clean_settings(account=account, values=values)
    recurring = RecurringCampaign(
        account=account,
        created_by=actor,
        rrule=given.get("rrule") or "",
        timezone=given.get("timezone") or account.timezone,
        starts_at=_start_of_minute(given.get("starts_at") or now),
        ends_at=given.get("ends_at"),
        **settings,
    )
    recurring.next_run_at = _clean_schedule(recurring, now=now)
    recurring.save()
    return recurring


def _refuse_transition(*, account: Account, pk: int, target: str) -> Conflict:
    """Why `pk` cannot move to `target` now (NotFound when not the account's)."""
    current = recurring_get(account=account, pk=pk).status
    if current == target == Status.ENDED:
        text = _("This recurring campaign has already ended.")
    elif current == target:
        text = _("This recurring campaign is already %(status)s.") % {
            "status": Status(current).label.lower()
        }
    elif target == Status.PAUSED:
        text = _("This recurring campaign has ended and cannot be paused.")
    else:
        text = _("This recurring campaign has ended and cannot be resumed.")
    return Conflict(
        {"status": text}, code=CampaignErrorCode.INVALID_RECURRING_TRANSITION
    )


def recurring_update(
    *,
    account: Account,
    pk: int,
    now: datetime | None = None,
    **given: Unpack[RecurringSettings],
) -> RecurringCampaign:
    """Change the settings or the schedule of an ACTIVE or PAUSED one.

    A new rule starts counting now (its DTSTART), unless `starts_at` is given;
    an active schedule's next run is computed again. Later runs use the new
    settings; campaigns already made keep theirs.
    """
    now = now or timezone.now()
    with transaction.atomic():  # a ticker skips the locked row until this commits
        recurring = recurring_get(account=account, pk=pk, for_update=True)
        if recurring.status == Status.ENDED:
            raise Conflict(
                {
                    "status": _(
                        "This recurring campaign has ended and cannot be changed."
                    )
                },
                code=CampaignErrorCode.RECURRING_ENDED,
            )
        current = {name: getattr(recurring, name) for name in SETTINGS_FIELDS}
        given_settings = {n: given[n] for n in SETTINGS_FIELDS if n in given}
        values = _clean_settings(account=account, values={**current, **given_settings})
        schedule = {n: given[n] for n in SCHEDULE_FIELDS if n in given}
        if "rrule" in schedule:  # compared in canonical spelling
            schedule["rrule"] = clean_rule(schedule["rrule"])
        if "timezone" in schedule:
            schedule["timezone"] = clean_timezone(schedule["timezone"] or "")
        changed = {n: v for n, v in schedule.items() if getattr(recurring, n) != v}
        if changed:
            if "rrule" in changed and "starts_at" not in changed:
                changed["starts_at"] = now
            if "starts_at" in changed:
                changed["starts_at"] = _start_of_minute(changed["starts_at"])
            for name, value in changed.items():
                setattr(recurring, name, value)
            first = _clean_schedule(recurring, now=now)
            values.update({n: getattr(recurring, n) for n in SCHEDULE_FIELDS})
            if recurring.status == Status.ACTIVE:
                values["next_run_at"] = first
        RecurringCampaign.objects.filter(pk=pk).update(
            **values, updated_at=timezone.now()
        )
    return recurring_get(account=account, pk=pk)


def recurring_pause(*, account: Account, pk: int) -> RecurringCampaign:
    """Stop running until resumed; runs missed meanwhile are not made up."""
    won = RecurringCampaign.objects.filter(
        account=account, pk=pk, status=Status.ACTIVE
    ).update(status=Status.PAUSED, next_run_at=None, updated_at=timezone.now())
    if not won:
        raise _refuse_transition(account=account, pk=pk, target=Status.PAUSED)
    return recurring_get(account=account, pk=pk)


def recurring_resume(
    *, account: Account, pk: int, now: datetime | None = None
) -> RecurringCampaign:
    """Run again from the rule's next run after now (409 when none is left)."""
    now = now or timezone.now()
    recurring = recurring_get(account=account, pk=pk)
    if recurring.status != Status.PAUSED:
        raise _refuse_transition(account=account, pk=pk, target=Status.ACTIVE)
    following = _first_run(recurring, now=now)
    if following is None:
        raise Conflict(
            {"status": _("No run is left in this schedule; it cannot be resumed.")},
            code=CampaignErrorCode.NO_OCCURRENCE,
        )
    # The schedule read above must still be the one: `updated_at` says so.
    won = RecurringCampaign.objects.filter(
        pk=pk, status=Status.PAUSED, updated_at=recurring.updated_at
    ).update(status=Status.ACTIVE, next_run_at=following, updated_at=timezone.now())
    if not won:
        if recurring_get(account=account, pk=pk).status == Status.PAUSED:
            raise Conflict(
                {"status": _("The schedule changed meanwhile; try again.")},
                code=CampaignErrorCode.CHANGED_MEANWHILE,
            )
        raise _refuse_transition(account=account, pk=pk, target=Status.ACTIVE)
    return recurring_get(account=account, pk=pk)


def recurring_end(*, account: Account, pk: int) -> RecurringCampaign:
    """End for good: no more runs. Campaigns already made go on as they are."""
    now = timezone.now()
    won = RecurringCampaign.objects.filter(
        account=account, pk=pk, status__in=[Status.ACTIVE, Status.PAUSED]
    ).update(status=Status.ENDED, next_run_at=None, ended_at=now, updated_at=now)
    if not won:
        raise _refuse_transition(account=account, pk=pk, target=Status.ENDED)
    return recurring_get(account=account, pk=pk)


def _when(run_at: datetime, zone: str) -> str:
    """A run's time as its schedule's wall clock: what names and reasons show."""
    return f"{run_at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def _record_skip(*, recurring_id: int, run_at: datetime, reason: str) -> None:
    RecurringCampaign.objects.filter(pk=recurring_id).update(
        last_error=reason, last_error_at=run_at
    )
    logger.warning("Recurring %s: run of %s skipped: %s", recurring_id, run_at, reason)


def _occurrence_create(
    recurring: RecurringCampaign, *, run_at: datetime
) -> Campaign | None:
    """The campaign for one run, made from the settings; None if it cannot be."""
    suffix = f" · {_when(run_at, recurring.timezone)}"
    settings = {name: getattr(recurring, name) for name in SETTINGS_FIELDS}
    settings["name"] = recurring.name[: 200 - len(suffix)] + suffix
    try:
        with transaction.atomic():
            campaign = campaign_create(account=recurring.account, **settings)
            Campaign.objects.filter(pk=campaign.pk).update(
                recurring=recurring,
                occurrence_at=run_at,
                created_by_id=recurring.created_by_id,
            )
    except IntegrityError:  # already made: the unique constraint as backstop
        logger.warning("Recurring %s: run of %s already made", recurring.pk, run_at)
        return None
    except DomainError as exc:  # settings no longer valid (e.g. a lower part limit)
        _record_skip(recurring_id=recurring.pk, run_at=run_at, reason=exc.message)
        return None
    campaign.recurring, campaign.occurrence_at = recurring, run_at
    return campaign


def _claim(*, pk: int, run_at: datetime, now: datetime) -> Campaign | None:
    """Claim the run of `pk` due at `run_at` and make its campaign, or None.

    The row lock skips a row another ticker is claiming; the conditional UPDATE
    is what decides (SQLite takes no row locks). The next run is computed from
    now: runs missed while the ticker was down are not made up one by one.
    """
    with transaction.atomic():
        recurring = (
            RecurringCampaign.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account")
            .filter(pk=pk, status=Status.ACTIVE, next_run_at=run_at)
            .first()
        )
        if recurring is None:
            return None
        following = next_run(
            rule=recurring.rrule,
            zone=recurring.timezone,
            starts_at=recurring.starts_at,
            after=max(now, run_at),
            ends_at=recurring.ends_at,
        )
        is_late = now - run_at > LATE_AFTER
        claim: dict[str, Any] = {"next_run_at": following, "updated_at": now}
        if following is None:
            claim.update(status=Status.ENDED, ended_at=now)
        if not is_late:
            claim["last_run_at"] = now
        won = RecurringCampaign.objects.filter(
            pk=pk, status=Status.ACTIVE, next_run_at=run_at
        ).update(**claim)
        if not won:
            return None
        if is_late:
            reason = _missed(run_at=run_at, zone=recurring.timezone, now=now)
            _record_skip(recurring_id=pk, run_at=run_at, reason=reason)
            return None
        return _occurrence_create(recurring, run_at=run_at)


def _missed(*, run_at: datetime, zone: str, now: datetime) -> str:
    """The reason for skipping a run found too late (`LATE_AFTER`)."""
    return _(
        "Skipped: it was due at %(due)s, but runs were checked only at %(now)s."
    ) % {
        "due": _when(run_at, zone),
        "now": _when(now, zone),
    }


def _occurrence_confirm(campaign: Campaign, *, now: datetime) -> None:
    """Price and confirm one run to send now; skip it, with the reason, if refused."""
    recurring = campaign.recurring
    reason = ""
    if now - campaign.occurrence_at > LATE_AFTER:
        reason = _missed(
            run_at=campaign.occurrence_at, zone=recurring.timezone, now=now
        )
    else:
        try:
            campaign_confirm(
                account=campaign.account, pk=campaign.pk, send_immediately=True
            )
        except DomainError as exc:
            if exc.code in _RACES:  # another runner is confirming it
                return
            reason = exc.message
    if not reason:
        # This run went: an older run's reason is no longer the news.
        RecurringCampaign.objects.filter(
            pk=recurring.pk, last_error_at__lt=campaign.occurrence_at
        ).update(last_error="", last_error_at=None)
        return
    try:
        campaign_cancel(account=campaign.account, pk=campaign.pk, note=reason)
    except DomainError:  # someone canceled or confirmed it meanwhile
        return
    _record_skip(
        recurring_id=recurring.pk, run_at=campaign.occurrence_at, reason=reason
    )


def _stalled(*, exclude: list[int]) -> list[Campaign]:
    """Occurrences made but never confirmed: their runner died in between."""
    cutoff = timezone.now() - STALLED_AFTER  # the real clock: this is about processes
    rows = Campaign.objects.filter(
        recurring__isnull=False, status__in=EDITABLE, updated_at__lt=cutoff
    ).exclude(pk__in=exclude)
    return list(rows.select_related("account", "recurring")[:RUNS_PER_TICK])


def recurring_run_due(*, now: datetime | None = None) -> list[Campaign]:
    """Make and confirm the campaign of every run due at `now`; return those made.

    Safe to call from any number of tickers at once: each run is claimed once.
    One broken row is logged and does not hold up the others.
    """
    now = now or timezone.now()
    due = RecurringCampaign.objects.filter(
        status=Status.ACTIVE, next_run_at__lte=now
    ).order_by("next_run_at", "id")
    made: list[Campaign] = []
    for pk, run_at in due.values_list("pk", "next_run_at")[:RUNS_PER_TICK]:
        try:
            campaign = _claim(pk=pk, run_at=run_at, now=now)
        except Exception:
            logger.exception("Recurring %s: the run of %s failed", pk, run_at)
            continue
        if campaign is not None:
            made.append(campaign)
    for campaign in [*made, *_stalled(exclude=[c.pk for c in made])]:
        try:
            _occurrence_confirm(campaign, now=now)
        except Exception:
            logger.exception("Occurrence %s could not be confirmed", campaign.pk)
    return made
