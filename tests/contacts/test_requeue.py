"""Beat's reaper: imports a dead worker or a lost message left behind run again."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from contacts.importing import contact_import_create, contact_imports_requeue_stalled
from contacts.models import ContactImport
from tests.contacts.conftest import upload

CSV = "phone,name\n3331234567,Anna\n3339876543,Bruno\n"


def _queued_but_lost(account, contact_list) -> ContactImport:
    """An import whose task message never reached a worker (callbacks not run)."""
    return contact_import_create(
        account=account,
        contact_list=contact_list,
        upload=upload(CSV),
        default_region="IT",
        start=True,
    )


def test_stalled_imports_run_again(
    account,
    contact_list,
    eager_tasks,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    lost = _queued_but_lost(account, contact_list)
    crashed = _queued_but_lost(account, contact_list)
    long_ago = timezone.now() - timedelta(minutes=20)
    ContactImport.objects.filter(pk=lost.pk).update(queued_at=long_ago)
    ContactImport.objects.filter(pk=crashed.pk).update(
        status="RUNNING", started_at=long_ago, queued_at=long_ago
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert contact_imports_requeue_stalled() == 2

    statuses = dict(ContactImport.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "COMPLETED", crashed.pk: "COMPLETED"}
    assert contact_list.contacts.filter(status="valid").count() == 2
    assert contact_list.contacts.filter(status="duplicate").count() == 2


def test_fresh_imports_are_left_alone(account, contact_list, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    running = _queued_but_lost(account, contact_list)
    ContactImport.objects.filter(pk=running.pk).update(
        status="RUNNING", started_at=timezone.now()
    )
    _queued_but_lost(account, contact_list)
    assert contact_imports_requeue_stalled() == 0
