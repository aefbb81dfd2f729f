"""Celery entry points of messaging: delivery reports and the simulator's reporter."""

from __future__ import annotations

import time

from celery import shared_task

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
