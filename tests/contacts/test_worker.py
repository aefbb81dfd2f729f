"""A real Celery worker, fed through the real broker (Redis), runs an import."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import DEFAULT_DB_ALIAS, connections

from config.celery import app as celery_app
from contacts.importing import contact_import_create
from contacts.models import ContactImport
from contacts.services import contact_list_create
from tests.contacts.conftest import MESSY_CSV, upload


def _wait_until_finished(pk: int, timeout: float = 30) -> ContactImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        contact_import = ContactImport.objects.get(pk=pk)
        if contact_import.status in (ContactImport.Status.COMPLETED, "FAILED"):
            return contact_import
        time.sleep(0.2)
    pytest.fail(f"import {pk} still {contact_import.status} after {timeout} s")


@pytest.fixture
def _worker_closes_its_connection():
    """The worker thread's connection must not outlive the test (teardown drops the DB)."""
    db_settings = connections.settings[DEFAULT_DB_ALIAS]
    kept = db_settings["CONN_MAX_AGE"]
    db_settings["CONN_MAX_AGE"] = 0  # Celery's Django fixup closes it after each task
    yield
    db_settings["CONN_MAX_AGE"] = kept


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_worker_closes_its_connection")
def test_queued_import_is_run_by_a_worker_through_the_broker(account):
    assert celery_app.conf.broker_url.startswith("redis://"), "run with Redis"
    celery_app.control.purge()  # stale messages of earlier runs
    contact_list = contact_list_create(account=account, name="Via Redis")
    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30):
        contact_import = contact_import_create(
            account=account,
            contact_list=contact_list,
            upload=upload(MESSY_CSV),
            default_region="IT",
            start=True,  # committed at once: no surrounding transaction here
        )
        finished = _wait_until_finished(contact_import.pk)
    assert finished.status == ContactImport.Status.COMPLETED, finished.error
    assert (finished.valid_rows, finished.invalid_rows, finished.duplicate_rows) == (
        5,
        3,
        2,
    )
    assert contact_list.contacts.count() == 10
