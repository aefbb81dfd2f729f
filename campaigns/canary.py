"""Canary: a small slice goes first, the rest waits until it looks healthy.

The slice is chosen set-based when the messages are made: one UPDATE takes the
first rows of every (country, original operator) group in proportion to its size,
so a list of 90% TIM and 10% Vodafone numbers sends both. While the canary runs
only the slice is claimable (`windows.claim_filter`). Beat's tick
(`canary_watch`) starts the hold when the slice has gone, and when the hold ends
either lets the rest go (the lanes reopen by themselves) or pauses the campaign
with the reason. After that, a failure rate over the last minutes above the same
threshold pauses it too.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from campaigns.models import Campaign, CampaignEvent
from campaigns.states import Status
from campaigns.transitions import campaign_transition
from contacts.models import OptOut
from messaging.models import FINAL, Message, MessageStatus, MessageTimeline

DEFAULTS: dict[str, Any] = {
    "percent": 2,
    "minRecipients": 200,
    "holdMinutes": 15,
    "maxFailureRate": 0.1,
    "maxOptOutRate": 0.01,
}
FAILED = (
    MessageStatus.UNDELIVERED,
    MessageStatus.EXPIRED,
    MessageStatus.REJECTED,
    MessageStatus.FAILED,
)
# The rolling check looks at outcomes of the last minutes, once there are enough
# of them to mean something.
ROLLING_MINUTES = 10
ROLLING_MIN_OUTCOMES = 50


def canary_clean(raw: Any) -> dict[str, Any] | None:
    """Validate a canary as a client sent it (`true` = the defaults); None = none."""
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        raise DomainError({"canary": _("A canary is an object, true or null.")})
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        raise DomainError(
            {"canary": _("Unknown canary fields: %(f)s.") % {"f": ", ".join(unknown)}}
        )
    merged = {**DEFAULTS, **raw}
    try:
        percent = float(merged["percent"])
        minimum = int(merged["minRecipients"])
        hold = int(merged["holdMinutes"])
        failure = float(merged["maxFailureRate"])
        optout = float(merged["maxOptOutRate"])
    except (TypeError, ValueError, OverflowError) as exc:  # int(1e999) overflows
        raise DomainError({"canary": _("Canary fields are numbers.")}) from exc
    if not (0 < percent <= 50):
        raise DomainError({"canary": _("percent is between 0 and 50.")})
    if minimum < 1 or not (0 <= hold <= 24 * 60):
        raise DomainError(
            {"canary": _("minRecipients is at least 1; holdMinutes 0 to 1440.")}
        )
    if not (0 <= failure <= 1 and 0 <= optout <= 1):
        raise DomainError({"canary": _("Rates are fractions between 0 and 1.")})
    return {
        "percent": percent,
        "minRecipients": minimum,
        "holdMinutes": hold,
        "maxFailureRate": failure,
        "maxOptOutRate": optout,
    }


def canary_size(canary: dict[str, Any], total: int) -> int:
    """How many recipients the slice takes: percent of them, at least the minimum."""
    wanted = max(math.ceil(total * canary["percent"] / 100), canary["minRecipients"])
    return min(total, wanted)


def canary_select(campaign: Campaign) -> int:
    """Mark the slice: the first rows of each (country, operator) group, pro rata.

    Row r (1-based) of a group of n is taken when (r - 1) * total < n * size, i.e.
    r <= ceil(n * size / total): integer arithmetic, the same on both databases.
    Call in the transaction that made the messages.
    """
    total = Message.objects.filter(campaign_id=campaign.pk).count()
    size = canary_size(campaign.canary, total)
    if not size:
        return 0
    table = connection.ops.quote_name(Message._meta.db_table)
    sql = f"""
        UPDATE {table} SET canary = %s WHERE id IN (
            SELECT id FROM (
                SELECT id,
                       ROW_NUMBER() OVER (
                           PARTITION BY country, carrier ORDER BY id) AS r,
                       COUNT(*) OVER (PARTITION BY country, carrier) AS n
                FROM {table} WHERE campaign_id = %s
            ) ranked WHERE (r - 1) * %s < n * %s
        )"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, campaign.pk, total, size])
        return cursor.rowcount


def canary_state(campaign: Campaign) -> str:
    """ "" (no canary), "SENDING", "HOLDING", "PASSED" or "FAILED", for pages."""
    if not campaign.canary:
        return ""
    if campaign.canary_passed_at:
        return "PASSED"
    if campaign.status == Status.PAUSED and campaign.status_reason:
        return "FAILED"
    return "HOLDING" if campaign.canary_hold_until else "SENDING"


def _canary_counts(campaign: Campaign) -> dict[str, int]:
    """The slice's messages by status, in the campaign's own channel: the SMS
    fallbacks of the slice go with it but are not what the canary judges."""
    return dict(
        Message.objects.filter(
            campaign_id=campaign.pk, canary=True, channel=campaign.channel
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def canary_figures(campaign: Campaign) -> dict[str, Any]:
    """The slice's size, sent, failures and opt-outs, with its rates."""
    counts = _canary_counts(campaign)
    size = sum(counts.values())
    queued = counts.get(MessageStatus.QUEUED, 0)
    unsent = queued + counts.get(MessageStatus.SKIPPED, 0)
    sent = size - unsent - counts.get(MessageStatus.CANCELED, 0)
    failed = sum(counts.get(s, 0) for s in FAILED)
    phones = Message.objects.filter(campaign_id=campaign.pk, canary=True).values(
        "phone"
    )
    since = campaign.started_at or campaign.confirmed_at or timezone.now()
    opted_out = OptOut.objects.filter(
        account_id=campaign.account_id,
        phone__in=Subquery(phones),
        created_at__gte=since,
    ).count()
    return {
        "size": size,
        "queued": queued,
        "sent": sent,
        "failed": failed,
        "optedOut": opted_out,
        "failureRate": failed / sent if sent else 0.0,
        "optOutRate": opted_out / sent if sent else 0.0,
    }


def _pause(campaign: Campaign, reason: str) -> bool:
    """SENDING -> PAUSED with the reason on the campaign and in its history."""
    try:
        campaign_transition(
            campaign=campaign,
            target=Status.PAUSED,
            note=reason,
            status_reason=reason[:300],
        )
    except DomainError:
        return False  # paused, stopped or completed meanwhile
    return True


def canary_check(*, campaign_id: int, lanes_open) -> str:
    """One look at a canary in flight: start its hold, pass it or pause; the state.

    `lanes_open(campaign_id)` is called after commit when the rest may go.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != Status.SENDING or not campaign.canary:
        return canary_state(campaign)
    if campaign.canary_passed_at:
        return "PASSED"
    figures = canary_figures(campaign)
    if figures["queued"]:
        return "SENDING"
    now = timezone.now()
    if campaign.canary_hold_until is None:
        hold = timedelta(minutes=campaign.canary["holdMinutes"])
        Campaign.objects.filter(pk=campaign_id, canary_hold_until__isnull=True).update(
            canary_hold_until=now + hold
        )
        campaign.refresh_from_db()
    if campaign.canary_hold_until > now:
        return "HOLDING"
    limits = campaign.canary
    if figures["failureRate"] > limits["maxFailureRate"]:
        reason = _(
            "Canary failed: %(failed)d of %(sent)d messages failed (%(rate).1f%%, "
            "more than %(max).1f%%). The rest was not sent; resume to send it anyway."
        ) % {
            "failed": figures["failed"],
            "sent": figures["sent"],
            "rate": 100 * figures["failureRate"],
            "max": 100 * limits["maxFailureRate"],
        }
        return "FAILED" if _pause(campaign, reason) else canary_state(campaign)
    if figures["optOutRate"] > limits["maxOptOutRate"]:
        reason = _(
            "Canary failed: %(n)d of %(sent)d recipients opted out (%(rate).1f%%, "
            "more than %(max).1f%%). The rest was not sent; resume to send it anyway."
        ) % {
            "n": figures["optedOut"],
            "sent": figures["sent"],
            "rate": 100 * figures["optOutRate"],
            "max": 100 * limits["maxOptOutRate"],
        }
        return "FAILED" if _pause(campaign, reason) else canary_state(campaign)
    with transaction.atomic():
        won = Campaign.objects.filter(
            pk=campaign_id, status=Status.SENDING, canary_passed_at__isnull=True
        ).update(canary_passed_at=now)
        if won:
            CampaignEvent.objects.create(
                campaign=campaign,
                from_status=Status.SENDING,
                to_status=Status.SENDING,
                note=_(
                    "Canary passed: %(failed)d of %(sent)d failed, %(out)d opted out."
                )
                % {
                    "failed": figures["failed"],
                    "sent": figures["sent"],
                    "out": figures["optedOut"],
                },
            )
            transaction.on_commit(partial(lanes_open, campaign_id))
    return "PASSED"


def rolling_failure_rate(campaign_id: int, *, now=None) -> tuple[int, float]:
    """Outcomes reported over the last minutes and the share that failed.

    Read from the per-minute timeline (a few rows), not from the messages.
    """
    now = now or timezone.now()
    since = (now - timedelta(minutes=ROLLING_MINUTES)).replace(second=0, microsecond=0)
    rows = dict(
        MessageTimeline.objects.filter(
            campaign_id=campaign_id, minute__gte=since, status__in=FINAL
        )
        .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.CANCELED])
        .values_list("status")
        .annotate(n=Sum("count"))
        .values_list("status", "n")
    )
    outcomes = sum(rows.values())
    failed = sum(rows.get(s, 0) for s in FAILED)
    return outcomes, (failed / outcomes if outcomes else 0.0)


def rolling_check(*, campaign_id: int) -> bool:
    """Pause a sending campaign whose recent failure rate passed its canary's limit."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != Status.SENDING or not campaign.canary_passed_at:
        return False
    outcomes, rate = rolling_failure_rate(campaign_id)
    limit = campaign.canary["maxFailureRate"]
    if outcomes < ROLLING_MIN_OUTCOMES or rate <= limit:
        return False
    reason = _(
        "Paused: %(rate).1f%% of the last %(n)d outcomes failed, more than "
        "%(max).1f%%. Resume to continue."
    ) % {"rate": 100 * rate, "n": outcomes, "max": 100 * limit}
    return _pause(campaign, reason)


def resume_values(campaign: Campaign) -> dict[str, Any]:
    """What resuming clears: the pause's reason; after a failed canary, resuming is
    the user's decision to send the rest, so the canary counts as passed."""
    values: dict[str, Any] = {"status_reason": ""}
    if canary_state(campaign) == "FAILED":
        values["canary_passed_at"] = timezone.now()
    return values


def canaries_watched() -> list[int]:
    """Sending campaigns with a canary: beat checks each on its tick."""
    return list(
        Campaign.objects.filter(status=Status.SENDING, canary__isnull=False)
        .filter(~Q(canary={}))
        .values_list("pk", flat=True)[:200]
    )
