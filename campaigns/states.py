"""Campaign statuses and the one table of allowed transitions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    CONFIGURED = "CONFIGURED", _("Configured")
    COST_CALCULATED = "COST_CALCULATED", _("Cost calculated")
    CONFIRMED = "CONFIRMED", _("Confirmed")
    SCHEDULED = "SCHEDULED", _("Scheduled")
    SENDING = "SENDING", _("Sending")
    PAUSED = "PAUSED", _("Paused")
    COMPLETED = "COMPLETED", _("Completed")
    CANCELED = "CANCELED", _("Canceled")


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.DRAFT, Status.CONFIGURED, Status.CANCELED}),
    Status.CONFIGURED: frozenset(
        {Status.DRAFT, Status.CONFIGURED, Status.COST_CALCULATED, Status.CANCELED}
    ),
    Status.COST_CALCULATED: frozenset(
        {
            Status.DRAFT,
            Status.CONFIGURED,
            Status.COST_CALCULATED,
            Status.CONFIRMED,
            Status.SCHEDULED,
            Status.CANCELED,
        }
    ),
    Status.CONFIRMED: frozenset({Status.SENDING, Status.CANCELED}),
    Status.SCHEDULED: frozenset({Status.SENDING, Status.CANCELED}),
    Status.SENDING: frozenset({Status.PAUSED, Status.COMPLETED}),
    # Stopping a paused campaign cancels what is unsent and completes it.
    Status.PAUSED: frozenset({Status.SENDING, Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELED: frozenset(),
}

# Settings may change only before confirmation (the guide: Draft or Configured; a
# priced campaign may change too, and goes back to Configured: its quote is stale).
EDITABLE = frozenset({Status.DRAFT, Status.CONFIGURED, Status.COST_CALCULATED})
CALCULABLE = frozenset({Status.CONFIGURED, Status.COST_CALCULATED})
CANCELABLE = frozenset(
    s for s, targets in TRANSITIONS.items() if Status.CANCELED in targets
)
ACTIVE = frozenset({Status.CONFIRMED, Status.SCHEDULED, Status.SENDING, Status.PAUSED})
# Sending has begun: the recipients are frozen as messages.
STARTED = frozenset({Status.SENDING, Status.PAUSED, Status.COMPLETED})
PRICED = frozenset(
    {
        Status.COST_CALCULATED,
        Status.CONFIRMED,
        Status.SCHEDULED,
        Status.SENDING,
        Status.PAUSED,
        Status.COMPLETED,
    }
)


def sources_of(target: str) -> frozenset[str]:
    """The statuses from which `target` may be reached."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


class RecurringStatus(models.TextChoices):
    """A recurring campaign runs while ACTIVE; PAUSED skips its runs; ENDED is final."""

    ACTIVE = "ACTIVE", _("Active")
    PAUSED = "PAUSED", _("Paused")
    ENDED = "ENDED", _("Ended")
