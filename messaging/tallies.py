"""Per-campaign message counts by channel and status, moved in the transactions that
move messages."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import F, Sum, Value
from django.utils import timezone

from messaging.models import FailureTally, MessageTally, MessageTimeline, RouteTally

# (campaign id, channel, status) -> change in count. The channel matters once a
# campaign falls back to SMS: its messages are then in two channels.
Deltas = Counter[tuple[int, str, str]]
# (campaign id, status, error code, error reason) -> messages that failed so.
Failures = Counter[tuple[int, str, str, str]]


def tallies_apply(deltas: Deltas) -> None:
    """Add `deltas`; call inside the transaction that changed the messages.

    One UPDATE (or INSERT) per campaign, channel and status touched, however many
    messages moved: a batch of 5,000 receipts for one campaign is a handful of
    statements. The timeline counts statuses over every channel.
    """
    minute = timezone.now().replace(second=0, microsecond=0)
    reached: Counter = Counter()
    for (campaign_id, channel, status), change in _of_campaigns(deltas):
        _add(
            MessageTally,
            change,
            campaign_id=campaign_id,
            channel=channel,
            status=status,
        )
        if change > 0:
            reached[(campaign_id, status)] += change
    for (campaign_id, status), change in _of_campaigns(reached):
        _add(
            MessageTimeline,
            change,
            campaign_id=campaign_id,
            minute=minute,
            status=status,
        )


def _of_campaigns(counts: Counter) -> list:
    """The non-zero items of `counts` (keys led by a campaign id) in key order,
    the lock order every writer shares, so two batches never deadlock.

    Single sends and test sends have no campaign and no tallies; they are left
    out before sorting, since None and an id do not compare (one report batch
    holds messages of both).
    """
    return sorted((key, n) for key, n in counts.items() if n and key[0] is not None)


def _add(model, change: int, **key) -> None:
    """count += change on the row `key`, created at `change` if missing."""
    counters_add(model, key, {"count": change})


def counters_add(model, key: dict, changes: dict[str, int]) -> None:
    """Add `changes` ({field: n}) to the row `key` of `model`, created at
    `changes` if missing; call inside the transaction that moved them."""
    moves = {name: F(name) + n for name, n in changes.items()}
    if model.objects.filter(**key).update(**moves):
        return
    _row, created = model.objects.get_or_create(**key, defaults=changes)
    if not created:
        model.objects.filter(**key).update(**moves)


def failures_apply(failures: Failures) -> None:
    """Count messages that failed; call inside the transaction that failed them."""
    for (campaign_id, status, code, reason), count in _of_campaigns(failures):
        key = {"error_code": code, "error_reason": reason}
        _add(FailureTally, count, campaign_id=campaign_id, status=status, **key)


def failures_for(campaign_id: int, *, limit: int = 8) -> list[dict]:
    """The campaign's most frequent failures: status, error_code, error_reason, n."""
    return list(
        FailureTally.objects.filter(campaign_id=campaign_id, count__gt=0)
        .order_by("-count", "status", "error_code")
        .values("status", "error_code", "error_reason", n=F("count"))[:limit]
    )


def tallies_for(campaign_id: int) -> dict[str, int]:
    """The campaign's counts by status, every channel together (a few rows)."""
    return dict(
        MessageTally.objects.filter(campaign_id=campaign_id)
        .values_list("status")
        .annotate(n=Sum("count"))
        .order_by()
    )


def tallies_by_channel(campaign_id: int) -> dict[str, dict[str, int]]:
    """The campaign's counts: channel -> status -> count."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = MessageTally.objects.filter(campaign_id=campaign_id).values_list(
        "channel", "status", "count"
    )
    for channel, status, count in rows:
        counts[channel][status] = count
    return dict(counts)


def counters_for(campaign_id: int) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """`tallies_by_channel` and the messages per route, in one round trip: statistics
    are polled while workers keep the database busy, and there each query's wait
    for its turn costs more than the query."""
    tallies = MessageTally.objects.filter(campaign_id=campaign_id).values_list(
        Value("tally"), "channel", "status", "count"
    )
    routes = RouteTally.objects.filter(campaign_id=campaign_id).values_list(
        Value("route"), "gateway", Value(""), "count"
    )
    by_channel: dict[str, dict[str, int]] = defaultdict(dict)
    by_route: dict[str, int] = {}
    for kind, key, status, count in tallies.union(routes, all=True):
        if kind == "tally":
            by_channel[key][status] = count
        else:
            by_route[key] = count
    return dict(by_channel), dict(sorted(by_route.items()))


def timeline_for(campaign_id: int) -> list[tuple]:
    """(minute, status, count) rows of the campaign, oldest first."""
    return list(
        MessageTimeline.objects.filter(campaign_id=campaign_id)
        .order_by("minute")
        .values_list("minute", "status", "count")
    )


def route_tallies_add(gateway: str, counts: Counter[int]) -> None:
    """Count messages of each campaign (id -> n) handed to route `gateway`."""
    handed = Counter({(campaign_id,): n for campaign_id, n in counts.items()})
    for (campaign_id,), count in _of_campaigns(handed):
        _add(RouteTally, count, campaign_id=campaign_id, gateway=gateway)
