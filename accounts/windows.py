"""Send windows: on which weekdays and between which hours messages may arrive.

A window is a wall-clock rule (`{"days": ["MO", ...], "from": "09:00", "to":
"20:00"}`) read in each recipient's own time zone. It lives here, in the lowest
layer, because an account keeps a default one that its new campaigns start with;
the campaigns app applies it to messages (`campaigns.windows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import DomainError

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class SendWindow:
    """Days (ISO order) and [start, end) in minutes after local midnight."""

    days: tuple[str, ...]
    start: int
    end: int

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> SendWindow | None:
        """The stored window (already cleaned), or None for "any time"."""
        if not raw:
            return None
        return cls(
            days=tuple(raw["days"]),
            start=_minutes(raw["from"]),
            end=_minutes(raw["to"]),
        )

    def is_open(self, local: datetime) -> bool:
        """Whether a wall-clock time (in the recipient's zone) is inside the window."""
        if DAYS[local.weekday()] not in self.days:
            return False
        minute = local.hour * 60 + local.minute
        return self.start <= minute < self.end

    def next_change(self, local: datetime) -> datetime:
        """The next wall-clock minute after `local` at which `is_open` may change.

        Used by the forecast to step over closed hours quickly; always in the future.
        """
        minute = local.hour * 60 + local.minute
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        for boundary in (self.start, self.end):
            if boundary > minute:
                return midnight + timedelta(minutes=boundary)
        return midnight + timedelta(days=1, minutes=self.start)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def window_clean(raw: Any, *, field: str = "send_window") -> dict[str, Any] | None:
    """Validate a window as a client sent it; the stored JSON, or None to clear.

    Days are two-letter RFC 5545 codes (any case, kept in week order); `from` and
    `to` are HH:MM, `to` up to 24:00 and after `from` (a window does not cross
    midnight: two days' windows are two rules, which this shape does not need).
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise DomainError({field: _("A send window is {days, from, to} or null.")})
    days = raw.get("days")
    start, end = raw.get("from"), raw.get("to")
    if days is None:
        days = list(DAYS)
    if not isinstance(days, list) or not days:
        raise DomainError({field: _("Choose at least one day (MO, TU, ... SU).")})
    upper = {str(day).upper() for day in days}
    if not upper <= set(DAYS):
        raise DomainError(
            {field: _("Days are MO, TU, WE, TH, FR, SA and SU.")},
        )
    if not (isinstance(start, str) and _HHMM.match(start) and start != "24:00"):
        raise DomainError({field: _("'from' must be a time such as 09:00.")})
    if not (isinstance(end, str) and _HHMM.match(end)):
        raise DomainError({field: _("'to' must be a time such as 20:00.")})
    if _minutes(end) <= _minutes(start):
        raise DomainError({field: _("'to' must be later than 'from' on the same day.")})
    return {"days": [d for d in DAYS if d in upper], "from": start, "to": end}


def window_describe(raw: dict[str, Any] | None) -> str:
    """The window for people: "MO-FR 09:00-20:00", or "" for any time."""
    if not raw:
        return ""
    days = raw["days"]
    if len(days) == 7:
        label = _("every day")
    else:
        indexes = [DAYS.index(d) for d in days]
        consecutive = indexes == list(range(indexes[0], indexes[-1] + 1))
        label = (
            f"{days[0]}-{days[-1]}"
            if consecutive and len(days) > 2
            else ", ".join(days)
        )
    return f"{label} {raw['from']}-{raw['to']}"
