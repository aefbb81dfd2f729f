"""Celery entry points of the campaigns app: the service does the work."""

from __future__ import annotations

from celery import shared_task

from campaigns.recurring import recurring_run_due


@shared_task(name="campaigns.run_recurring", ignore_result=True)
def run_recurring_task() -> None:
    """Beat, every 30 s: make the campaign of every recurring run now due.

    Each run is claimed by a conditional UPDATE, so overlapping or repeated
    ticks (two beats, a redelivery) make it once.
    """
    recurring_run_due()
