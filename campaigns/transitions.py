"""The one way a campaign changes status: a conditional UPDATE checked against
`states.TRANSITIONS`, and the history row that records it.

The UPDATE matches only while the row is still in the status the caller read and
that status may reach the target (`status__in=sources_of(target)`), plus any
extra condition (a quote version). Two clicks, two workers or a racing edit can
therefore never both win: the loser's UPDATE matches nothing and it is refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Conflict
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import Campaign, CampaignEvent
from campaigns.states import Status, sources_of
from messaging.webhooks import campaign_event_record


def _refusal(current: str, target: str) -> str:
    """Why `current` cannot become `target`, in the words of the user's request."""
    status = Status(current).label.lower()
    if target == Status.CANCELED:
        text = _("A %(status)s campaign cannot be canceled.")
    elif target in {Status.CONFIRMED, Status.SCHEDULED}:
        text = _("A %(status)s campaign cannot be confirmed.")
    elif target == Status.COST_CALCULATED:
        text = _("The cost of a %(status)s campaign cannot be recalculated.")
    elif target in {Status.DRAFT, Status.CONFIGURED}:
        text = _("A %(status)s campaign cannot be modified.")
    else:
        text = _("A %(status)s campaign cannot move to %(target)s.")
    return text % {"status": status, "target": Status(target).label.lower()}


class InvalidTransition(Conflict):
    """The campaign's status does not allow the request (409)."""

    def __init__(self, *, current: str, target: str) -> None:
        self.current, self.target = current, target
        super().__init__(
            {"status": _refusal(current, target)},
            code=CampaignErrorCode.INVALID_TRANSITION,
        )


def campaign_transition(
    *,
    campaign: Campaign,
    target: Status,
    actor: AbstractBaseUser | None = None,
    note: str = "",
    condition: Q | None = None,
    lost: str = "",
    **values: Any,
) -> None:
    """Move `campaign` from the status it was read in to `target`, writing `values`.

    Raises `InvalidTransition` when the table forbids it; when the row changed
    since it was read (another request won, or `condition` no longer holds),
    raises the table's refusal for the status it is in now, or `Conflict` with
    `lost` when the status is the same but `condition` failed.
    A change to another status is recorded as a `CampaignEvent`; saving settings
    in the same status is not a step of the history.
    """
    old = campaign.status
    if old not in sources_of(target):
        raise InvalidTransition(current=old, target=target)
    rows = Campaign.objects.filter(
        pk=campaign.pk, status=old, status__in=sources_of(target)
    )
    if condition is not None:
        rows = rows.filter(condition)
    with transaction.atomic():
        won = rows.update(status=target, updated_at=timezone.now(), **values)
        if not won:
            now = Campaign.objects.filter(pk=campaign.pk).values_list(
                "status", flat=True
            )
            current = next(iter(now), old)
            if current != old:
                raise InvalidTransition(current=current, target=target)
            raise Conflict(
                {"status": lost or _("The campaign changed meanwhile; try again.")},
                code=CampaignErrorCode.CHANGED_MEANWHILE,
            )
        if old != target:
            CampaignEvent.objects.create(
                campaign=campaign,
                from_status=old,
                to_status=target,
                actor=actor,
                note=note[:300],
            )
            campaign_event_record(
                account_id=campaign.account_id,
                campaign_id=campaign.pk,
                status=target,
                previous_status=old,
                reason=str(values.get("status_reason") or note),
            )
    campaign.refresh_from_db()
