"""Celery entry points of campaign sending: ids in, `campaigns.sending` does the work.

Every task may run twice or after a crash: starting is a conditional transition,
a batch claims its rows, completing settles inside the transition.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from celery import shared_task

from campaigns import canary, sending
from campaigns.models import Campaign
from campaigns.recurring import recurring_run_due
from messaging.gateways.base import GatewayUnavailable
from messaging.ratelimit import RateLimiterUnavailable

logger = logging.getLogger(__name__)


@shared_task(name="campaigns.start", acks_late=True, ignore_result=True)
def start_task(campaign_id: int) -> None:
    """Confirmed for now: freeze the recipients, start sending, open the lanes."""
    if not Campaign.objects.filter(pk=campaign_id).exists():
        return
    if sending.campaign_start(campaign_id=campaign_id):
        sending.lanes_open(campaign_id)


@shared_task(name="campaigns.prepare", acks_late=True, ignore_result=True)
def prepare_task(campaign_id: int) -> None:
    """Confirmed for later: freeze the recipients now, as they were confirmed."""
    if Campaign.objects.filter(pk=campaign_id).exists():
        sending.campaign_prepare(campaign_id=campaign_id)


@shared_task(
    name="campaigns.send_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(GatewayUnavailable, RateLimiterUnavailable),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
    ignore_result=True,
)
def send_batch_task(campaign_id: int) -> None:
    """One batch; queue the next while this lane still finds full batches.

    A throttled batch re-queues itself with a countdown instead of retrying, so
    waiting for the route's rate never spends the retries kept for errors.
    """
    if not Campaign.objects.filter(pk=campaign_id).exists():
        return
    try:
        claimed = sending.campaign_send_batch(campaign_id=campaign_id)
    except sending.Throttled as throttled:
        send_batch_task.apply_async(args=[campaign_id], countdown=throttled.wait)
        return
    if claimed and claimed >= sending.batch_size_for(campaign_id):
        send_batch_task.delay(campaign_id)


def _each(campaign_ids: Iterable[int], step: Callable[[int], object]) -> None:
    """`step` for every campaign; one that fails is logged and the others go on.

    One account's broken campaign must not hold back everybody else's: a tick
    that stopped at the first error would never reach the campaigns after it.
    """
    for campaign_id in campaign_ids:
        try:
            step(campaign_id)
        except Exception:
            logger.exception("tick: campaign %s failed this step", campaign_id)


def _start_due(campaign_id: int) -> None:
    if sending.campaign_start(campaign_id=campaign_id):
        sending.lanes_open(campaign_id)


def _watch_canary(campaign_id: int) -> None:
    canary.canary_check(campaign_id=campaign_id, lanes_open=sending.lanes_open)
    canary.rolling_check(campaign_id=campaign_id)


@shared_task(name="campaigns.tick", ignore_result=True)
def tick_task() -> None:
    """Beat, every few seconds: start what is due, revive stalled lanes, fall back
    to SMS where RCS/WhatsApp did not report in time, finish."""
    _each(sending.campaigns_due(), _start_due)
    _each(sending.campaigns_unstarted(), start_task.delay)
    _each(sending.campaigns_stalled(), sending.lanes_open)
    _each(sending.campaigns_falling_back(), sending.lanes_open)
    _each(canary.canaries_watched(), _watch_canary)
    _each(
        sending.campaigns_finishing(),
        lambda campaign_id: sending.campaign_try_complete(campaign_id=campaign_id),
    )


@shared_task(name="campaigns.run_recurring", ignore_result=True)
def run_recurring_task() -> None:
    """Beat, every 30 s: make the campaign of every recurring run now due.

    Each run is claimed by a conditional UPDATE, so overlapping or repeated
    ticks (two beats, a redelivery) make it once.
    """
    recurring_run_due()
