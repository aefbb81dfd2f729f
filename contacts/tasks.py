"""Celery entry points of the contacts app: ids in, the service does the work."""

from __future__ import annotations

from celery import shared_task

from contacts.importing import contact_import_run, contact_imports_requeue_stalled
from contacts.services import abandoned_lists_drop


@shared_task(
    name="contacts.import_contacts",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def import_contacts_task(import_id: int) -> None:
    """Run a queued import; claiming it is conditional, so a redelivery is harmless."""
    contact_import_run(import_id=import_id)


@shared_task(name="contacts.requeue_stalled_imports", ignore_result=True)
def requeue_stalled_imports_task() -> None:
    """Beat: give imports whose worker died (or whose message was lost) another run."""
    contact_imports_requeue_stalled()


@shared_task(name="contacts.drop_abandoned_lists", ignore_result=True)
def drop_abandoned_lists_task() -> None:
    """Beat: delete the empty lists of uploads left at the column step a day ago."""
    abandoned_lists_drop()
