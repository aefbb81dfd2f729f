"""When a campaign will finish: its pace, its send window and its recipients' zones.

The pace is the slowest of the engine's throughput (`SEND_RATE_PER_SECOND`), the
route's limit (`GATEWAY_RATE_LIMIT(S)`, SMS parts a second) and the campaign's own
speed (`max_per_minute`, `spread_hours`). The window is simulated over the
recipients' zones in five-minute steps (jumping over hours when every zone is
closed), so the work is zones x steps, never recipients: a million recipients in
six zones forecast as fast as ten. Open zones share the pace in proportion to
what each has left, as the claims (oldest first, across zones) do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.windows import SendWindow
from campaigns.models import Campaign
from campaigns.quotes import recipients
from campaigns.speed import campaign_rate
from campaigns.windows import window_of, zone_info
from messaging.models import Message, MessageStatus, MessageTimeline
from messaging.ratelimit import gateway_rate
from messaging.zones import country_zone, zone_for

STEP = timedelta(minutes=5)
HORIZON = timedelta(days=60)  # a forecast gives up past this (a 1-minute window...)
ANY_ZONE = "UTC"  # without a window every recipient is in one bucket


@dataclass
class Forecast:
    """A finish time, how long from the start, the pace and its cause, and the
    expected sends per hour (UTC hour -> messages)."""

    start: datetime
    finish: datetime | None
    rate: float
    limited_by: str
    per_hour: dict[datetime, int] = field(default_factory=dict)

    @property
    def seconds(self) -> int | None:
        if self.finish is None:
            return None
        return round((self.finish - self.start).total_seconds())

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "estimatedCompletionTime": self.finish.isoformat() if self.finish else None,
            "estimatedDurationSeconds": self.seconds,
            "messagesPerSecond": round(self.rate, 3),
            "limitedBy": self.limited_by,
            "perHour": [[hour.isoformat(), n] for hour, n in self.per_hour.items()],
        }


def pace(campaign: Campaign) -> tuple[float, str]:
    """Messages a second and what sets it: "speed", "route" or "throughput"."""
    engine = float(max(1, settings.SEND_RATE_PER_SECOND))
    candidates = [(engine, "throughput")]
    route = gateway_rate(campaign.gateway)
    if route > 0:
        parts = campaign.parts_per_message
        if not parts and campaign.recipient_count:
            parts = (campaign.estimated_parts or 0) / campaign.recipient_count
        candidates.append((route / max(1.0, float(parts or 1)), "route"))
    own = campaign_rate(campaign)
    if own > 0:
        candidates.append((own, "speed"))
    return min(candidates)


def _next_change(window: SendWindow, zones: list[str], now: datetime) -> datetime:
    """The earliest moment any of the zones' windows may open or close."""
    return min(
        window.next_change(now.astimezone(zone_info(zone))).astimezone(UTC)
        for zone in zones
    )


def simulate(
    counts: dict[str, int],
    *,
    window: SendWindow | None,
    rate: float,
    start: datetime,
) -> tuple[datetime | None, dict[datetime, int]]:
    """Drain `counts` (zone -> messages) at `rate`/s inside the window; the finish
    time (None past the horizon) and the messages sent per UTC hour."""
    left = {zone: float(n) for zone, n in counts.items() if n > 0}
    per_hour: Counter = Counter()
    now = start.astimezone(UTC)
    end_of_time = now + HORIZON
    while left and now < end_of_time:
        zones = list(left)
        if window is None:
            opened = zones
        else:
            opened = [z for z in zones if window.is_open(now.astimezone(zone_info(z)))]
        if not opened:
            now = _next_change(window, zones, now)
            continue
        # Steps end on five-minute marks (so each lies in one hour) or sooner
        # when a window opens or closes.
        mark = now.replace(second=0, microsecond=0)
        mark += STEP - timedelta(minutes=mark.minute % 5)
        step_end = (
            mark if window is None else min(mark, _next_change(window, zones, now))
        )
        capacity = rate * (step_end - now).total_seconds()
        waiting = sum(left[z] for z in opened)
        sent = min(capacity, waiting)
        hour = now.replace(minute=0, second=0, microsecond=0)
        per_hour[hour] += sent
        for zone in opened:
            left[zone] -= sent * left[zone] / waiting
            if left[zone] < 1e-6:
                del left[zone]
        if sent >= waiting - 1e-6:
            now += timedelta(seconds=waiting / rate)
        else:
            now = step_end
    finish = None if left else now
    return finish, {hour: round(n) for hour, n in sorted(per_hour.items()) if n >= 0.5}


def recipient_zones(campaign: Campaign) -> dict[str, int]:
    """Recipients per time zone, as the messages will have them, before they exist.

    One GROUP BY country; only countries whose zones keep different clocks (US,
    Russia, ...) read their numbers, one zone lookup each.
    """
    fallback = campaign.account.timezone
    chosen = recipients(campaign)
    if campaign.last_contact_id is not None:
        chosen = chosen.filter(id__lte=campaign.last_contact_id)
    zones: Counter = Counter()
    several = []
    for country, n in (
        chosen.values_list("country")
        .annotate(n=Count("id"))
        .values_list("country", "n")
    ):
        single = country_zone(country, fallback)
        if single:
            zones[single] += n
        else:
            several.append(country)
    if several:
        for phone, country in (
            chosen.filter(country__in=several)
            .values_list("phone", "country")
            .iterator(chunk_size=5000)
        ):
            zones[zone_for(phone, country, fallback)] += 1
    return dict(zones.most_common())


def campaign_forecast(campaign: Campaign, *, start: datetime | None = None) -> Forecast:
    """The forecast before sending: every recipient still to go, from `start`
    (the schedule, else now)."""
    start = start or campaign.scheduled_at or timezone.now()
    start = max(start, timezone.now())
    rate, limited_by = pace(campaign)
    window = window_of(campaign)
    if window is None:
        counts = {ANY_ZONE: campaign.recipient_count or 0}
    else:
        counts = recipient_zones(campaign)
    if campaign.canary:
        # The hold adds its minutes once the slice has gone (the slice itself
        # is sent at the same pace, so it needs no time of its own).
        start_hold = timedelta(minutes=campaign.canary["holdMinutes"])
    else:
        start_hold = timedelta(0)
    finish, per_hour = simulate(counts, window=window, rate=rate, start=start)
    if finish is not None:
        finish += start_hold
    return Forecast(
        start=start,
        finish=finish,
        rate=rate,
        limited_by=limited_by,
        per_hour=per_hour,
    )


_SENT = (MessageStatus.SUBMITTED, MessageStatus.REJECTED, MessageStatus.FAILED)


def observed_rate(campaign_id: int, *, minutes: int = 5) -> float:
    """Messages a second over the campaign's latest whole minutes that sent any
    (the current minute is partial; minutes spent waiting for a window sent none)."""
    current = timezone.now().replace(second=0, microsecond=0)
    rows = (
        MessageTimeline.objects.filter(
            campaign_id=campaign_id, status__in=_SENT, minute__lt=current
        )
        .order_by("-minute")
        .values_list("minute", "count")[: minutes * len(_SENT)]
    )
    by_minute: Counter = Counter()
    for minute, count in rows:
        by_minute[minute] += count
    latest = sorted(by_minute)[-minutes:]
    if not latest:
        return 0.0
    return sum(by_minute[m] for m in latest) / (len(latest) * 60)


def duration_text(seconds: int | None) -> str:
    """A duration for people: "less than a minute", "3 hours 5 minutes", "2 days"."""
    if seconds is None:
        return _("more than 60 days")
    minutes = -(-seconds // 60)
    if minutes <= 1:
        return _("less than a minute")
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        text = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
        if hours:
            text += " " + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return text
    text = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if rest:
        text += " " + ngettext("%(n)d minute", "%(n)d minutes", rest) % {"n": rest}
    return text


def remaining_forecast(campaign: Campaign, *, queued: int) -> datetime | None:
    """When a sending campaign should finish: the rest at the observed pace (the
    planned one until there is any), through the windows still ahead."""
    if not queued:
        return None
    rate = observed_rate(campaign.pk) or pace(campaign)[0]
    window = window_of(campaign)
    if window is None:
        counts = {ANY_ZONE: queued}
    else:
        counts = dict(
            Message.objects.filter(campaign_id=campaign.pk, status=MessageStatus.QUEUED)
            .values_list("tz")
            .annotate(n=Count("id"))
            .values_list("tz", "n")
        )
    finish, _per_hour = simulate(counts, window=window, rate=rate, start=timezone.now())
    return finish
