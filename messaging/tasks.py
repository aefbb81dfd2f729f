"""Celery entry points of messaging: delivery reports, the simulator's reporter,
webhook deliveries and transactional sends."""

from __future__ import annotations

import time

from celery import shared_task

from messaging import single, webhooks
from messaging.gateways.base import GatewayUnavailable
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.receipts import reports_apply

BUDGET = 5.0  # seconds a beat-driven task keeps working before the next tick


@shared_task(name="messaging.apply_reports", ignore_result=True)
def apply_reports_task() -> None:
    """Beat: apply pending delivery reports in batches for up to `BUDGET` seconds."""
    deadline = time.monotonic() + BUDGET
    while reports_apply() and time.monotonic() < deadline:
        pass


@shared_task(name="messaging.simulator_reports", ignore_result=True)
def simulator_reports_task() -> None:
    """Beat: the simulator reports the outcomes now due."""
    deadline = time.monotonic() + BUDGET
    while simulator_reports_send() and time.monotonic() < deadline:
        pass


@shared_task(name="messaging.webhooks", ignore_result=True)
def webhooks_task() -> None:
    """Beat: batch new webhook events, then one delivery task per due delivery.

    Claims are leases taken with SKIP LOCKED, so overlapping beats and a
    redelivered task only ever send a delivery that is still due.
    """
    webhooks.deliveries_form()
    for delivery_id in webhooks.deliveries_claim():
        webhook_deliver_task.delay(delivery_id)


@shared_task(name="messaging.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver_task(delivery_id: int) -> None:
    """POST a claimed delivery and the endpoint's next due ones (a lane); retries
    are scheduled in the rows, not in Celery."""
    webhooks.deliveries_drain(delivery_id)


@shared_task(
    name="messaging.send_single",
    acks_late=True,
    autoretry_for=(GatewayUnavailable,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=10,
    ignore_result=True,
)
def send_single_task(message_id: int) -> None:
    """Submit one transactional message queued by the API, and settle its price."""
    single.single_submit(message_id=message_id)


@shared_task(name="messaging.send_singles", ignore_result=True)
def send_singles_task() -> None:
    """Beat: submit transactional messages whose task was lost (a broker restart)."""
    for message_id in single.singles_stalled():
        send_single_task.delay(message_id)


@shared_task(name="messaging.prune", ignore_result=True)
def prune_task() -> None:
    """Beat, hourly: forget Idempotency-Keys older than a day and old webhook logs."""
    single.idempotency_prune()
    webhooks.deliveries_prune()
