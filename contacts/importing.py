"""Contact file imports: accept an upload, then run it in a worker.

`contact_import_create` checks the file in the request (the user learns at once
what is wrong) and stores it; `contact_import_start` hands it to Celery once the
columns are confirmed; `contact_import_run` (the task body) streams the rows
through `contacts.rows` into the list: on PostgreSQL with COPY inside one
transaction (`contacts.copying`), on SQLite through a staging table and one
merge (`contacts.staging`). Until that transaction commits the list is
untouched, so a failure at any row leaves nothing half-written; the import then
says FAILED and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import datetime, timedelta
from itertools import chain
from pathlib import PurePath
from uuid import uuid4

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from contacts.columns import MappingDict, detect_mapping
from contacts.copying import SideProgress, copy_rows
from contacts.files import (
    FileInfo,
    FileRejected,
    count_records,
    inspect_file,
    read_records,
)
from contacts.models import Contact, ContactImport, ContactList, FileFormat
from contacts.reasons import DUPLICATE
from contacts.rows import (
    DUPLICATE_STATUS,
    PROGRESS_EVERY,
    VALID,
    contact_rows,
    too_many_rows,
)
from contacts.selectors import suppressed_count
from contacts.staging import Stage

logger = logging.getLogger(__name__)

# A RUNNING import this old lost its worker (a normal run takes seconds): a new
# run may claim it. Completing re-checks the claim, so a slow original cannot
# also write.
STALE_AFTER = timedelta(minutes=15)
# Imports at least this big refresh the planner's statistics (see below).
ANALYZE_AFTER_ROWS = 50_000
# Up to this many rows, a file going into a list with keepers is read whole and
# only its own numbers are looked up (see _rows_against_list).
SMALL_FILE_ROWS = 50_000
Status = ContactImport.Status


def contact_import_create(
    *,
    account: Account,
    contact_list: ContactList,
    upload: File,
    default_region: str,
    created_by: AbstractBaseUser | None = None,
    start: bool,
) -> ContactImport:
    """Check and store an uploaded file as a PENDING import of `contact_list`.

    With `start` it is queued at once (the API); otherwise it waits for
    `contact_import_start` after the user reviewed the columns (the browser).
    Raises FileRejected when the file cannot be imported.
    """
    info = inspect_file(upload, max_bytes=settings.CONTACT_UPLOAD_MAX_BYTES)
    mapping = detect_mapping(info.first, info.sample, region=default_region)
    if mapping is None:
        raise FileRejected(
            _(
                "No column holds phone numbers. Name the column “phone” or "
                "“telefono”, or check that the numbers are in the file."
            )
        )
    if mapping["header"] and not info.sample:
        # It would complete as an empty import: refuse it like an empty file.
        raise FileRejected(_("The file has no contacts, only a row of column names."))
    data_rows = _check_row_limit(upload, info, header=mapping["header"])
    name = PurePath(upload.name or "contacts.csv").name
    contact_import = ContactImport(
        account=account,
        contact_list=contact_list,
        original_name=name[:255],
        default_region=default_region,
        file_format=info.file_format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        mapping=mapping,
        total_rows=data_rows,
        created_by=created_by,
        queued_at=timezone.now() if start else None,
    )
    upload.seek(0)
    contact_import.file.save(f"{uuid4().hex}.{info.file_format}", upload, save=False)
    contact_import.save()
    if start:
        _enqueue(contact_import.pk)
    return contact_import


def contact_import_start(
    *, contact_import: ContactImport, mapping: MappingDict
) -> bool:
    """Queue a browser upload with the confirmed columns; False if already queued."""
    queued = ContactImport.objects.filter(
        pk=contact_import.pk, status=Status.PENDING, queued_at__isnull=True
    ).update(mapping=mapping, queued_at=timezone.now())
    if queued:
        _enqueue(contact_import.pk)
    return bool(queued)


def contact_import_run(*, import_id: int) -> None:
    """Import the rows of a queued file; a second run of a claimed import is a no-op."""
    claimed_at = timezone.now()
    won = (
        ContactImport.objects.filter(
            pk=import_id, status__in=[Status.PENDING, Status.RUNNING]
        )
        # A RUNNING one only if its worker died long ago.
        .exclude(status=Status.RUNNING, started_at__gt=claimed_at - STALE_AFTER)
        .update(status=Status.RUNNING, started_at=claimed_at)
    )
    if not won:
        return
    contact_import = ContactImport.objects.get(pk=import_id)
    load = _copy_import if connection.vendor == "postgresql" else _staged_import
    try:
        with (
            contact_import.file.open("rb") as fileobj,
            closing(read_records(fileobj, contact_import)) as records,
        ):
            load(contact_import, records, claimed_at)
    except _Superseded:
        return
    except FileRejected as exc:
        _fail(contact_import, claimed_at, exc.message)
    except Exception:
        logger.exception("Contact import %s failed", import_id)
        _fail(
            contact_import,
            claimed_at,
            _("The import stopped on an unexpected error. The list was not changed."),
        )


def contact_imports_requeue_stalled(*, limit: int = 100) -> int:
    """Queue again imports left behind by a crashed worker or a lost broker message.

    Beat calls this every few minutes. The run's own conditional claim decides
    whether an import is really stalled, so queuing one too many is harmless.
    """
    cutoff = timezone.now() - STALE_AFTER
    stalled = ContactImport.objects.filter(
        Q(status=Status.RUNNING, started_at__lt=cutoff)
        | Q(status=Status.PENDING, queued_at__lt=cutoff)
    ).values_list("pk", flat=True)[:limit]
    ids = list(stalled)
    for import_id in ids:
        _enqueue(import_id)
    return len(ids)


def import_preview(contact_import: ContactImport, *, rows: int = 10) -> list[list[str]]:
    """The file's first non-blank rows (header included) for the mapping step."""
    with contact_import.file.open("rb") as fileobj:
        return list(read_records(fileobj, contact_import, first=rows + 1))


class _Superseded(Exception):
    """A newer run claimed this import (after a worker was lost); this one yields."""


def _enqueue(import_id: int) -> None:
    from contacts.tasks import import_contacts_task  # tasks imports this module

    import_contacts_task.delay_on_commit(import_id)


def _check_row_limit(upload: File, info: FileInfo, *, header: bool) -> int:
    """Data rows of the file (estimated); FileRejected beyond the setting.

    A CSV's estimate counts lines, so it can only over-count (blank lines, line
    breaks inside quoted cells): past the limit its rows are counted exactly. A
    workbook is not read whole in the request (see contacts.xlsx): it is refused
    here when its sheet claims too many rows, and the import counts the rest.
    """
    limit = settings.CONTACT_UPLOAD_MAX_ROWS
    skip = 1 if header else 0
    rows = max(info.rows - skip, 0)
    if rows > limit and info.file_format == FileFormat.CSV:
        rows = count_records(upload, info, stop=limit + skip + 1) - skip
    if rows > limit and not info.rows_estimated:
        raise FileRejected(too_many_rows(limit))
    return rows


def _ours(contact_import: ContactImport, claimed_at: datetime) -> QuerySet:
    return ContactImport.objects.filter(
        pk=contact_import.pk, status=Status.RUNNING, started_at=claimed_at
    )


def _fail(contact_import: ContactImport, claimed_at: datetime, message: str) -> None:
    _ours(contact_import, claimed_at).update(
        status=Status.FAILED, error=message, finished_at=timezone.now()
    )


def _copy_import(
    contact_import: ContactImport, records: Iterator[list[str]], claimed_at: datetime
) -> None:
    """PostgreSQL: COPY every row straight into the list, all in one transaction."""
    mapping: MappingDict = contact_import.mapping
    keys = [key for key, _index in mapping["attributes"]]
    progress = SideProgress(import_id=contact_import.pk, claimed_at=claimed_at)
    with progress, transaction.atomic():
        contact_list, newest = _lock_list(contact_import, claimed_at)
        rows = _rows_against_list(contact_import, records, contact_list)
        now = timezone.now()
        total = copy_rows(
            rows,
            contact_list_id=contact_list.pk,
            import_id=contact_import.pk,
            keys=keys,
            now=now,
            on_batch=progress.report,
        )
        progress.report(total, final=True)
        progress.close()  # before this transaction touches the import row
        _finish(
            contact_import,
            contact_list,
            newest,
            claimed_at=claimed_at,
            keys=keys,
            total=total,
            now=now,
        )


def _staged_import(
    contact_import: ContactImport, records: Iterator[list[str]], claimed_at: datetime
) -> None:
    """SQLite: rows into a staging table first (progress visible), then one merge.

    SQLite has one writer at a time, so a transaction held for the whole file would
    also hold back the progress updates the page polls for.
    """
    mapping: MappingDict = contact_import.mapping
    keys = [key for key, _index in mapping["attributes"]]
    ours = _ours(contact_import, claimed_at)
    with Stage(import_id=contact_import.pk, attributes=len(keys)) as stage:
        total = 0
        rows = contact_rows(
            records, mapping=mapping, region=contact_import.default_region, kept=set()
        )
        for batch in rows:
            stage.write(batch)
            total += len(batch)
            if total % PROGRESS_EVERY == 0:
                ours.update(processed_rows=total)
        ours.update(processed_rows=total, total_rows=total)
        with transaction.atomic():
            contact_list, newest = _lock_list(contact_import, claimed_at)
            now = timezone.now()
            stage.merge(
                contact_list_id=contact_list.pk,
                import_id=contact_import.pk,
                keys=keys,
                now=now,
                list_has_keepers=contact_list.valid_count > 0,
            )
            _finish(
                contact_import,
                contact_list,
                newest,
                claimed_at=claimed_at,
                keys=keys,
                total=total,
                now=now,
            )


def _lock_list(
    contact_import: ContactImport, claimed_at: datetime
) -> tuple[ContactList, int]:
    """Lock the import's list; return it and its highest contact id so far.

    The lock serialises imports and API additions to one list, so two of them
    never both decide that a number is new. Ids come from one sequence, so the
    rows this import adds are the list's rows above the returned id.
    """
    contact_list = ContactList.objects.select_for_update().get(
        pk=contact_import.contact_list_id
    )
    if not _ours(contact_import, claimed_at).exists():
        raise _Superseded
    newest = contact_list.contacts.aggregate(newest=Max("pk"))["newest"] or 0
    return contact_list, newest


def _rows_against_list(
    contact_import: ContactImport,
    records: Iterator[list[str]],
    contact_list: ContactList,
) -> Iterable[list[tuple]]:
    """The file's rows, copies of the (locked) list's keepers marked as duplicates.

    Python decides every status before COPY, so it must know the keepers. A file
    much smaller than the list is read whole first and only its own numbers are
    looked up; a bigger one loads every keeper into the `kept` set (~90 MB per
    million) and streams. The size is only an estimate (a workbook's sheet may
    claim fewer rows than it has), so a "small" file that turns out big is
    switched to the streaming way once SMALL_FILE_ROWS rows have been read.
    """
    mapping: MappingDict = contact_import.mapping
    kept: set[str] = set()
    rows = contact_rows(
        records, mapping=mapping, region=contact_import.default_region, kept=kept
    )
    if not contact_list.valid_count:
        return rows
    if not 0 < contact_import.total_rows <= SMALL_FILE_ROWS:
        kept.update(_keepers(contact_list))
        return rows
    batches: list[list[tuple]] = []
    read = 0
    for batch in rows:
        batches.append(batch)
        read += len(batch)
        if read > SMALL_FILE_ROWS:
            # `rows` reads on with `kept`: the keepers join the file's numbers.
            keepers = _keepers(contact_list)
            kept.update(keepers)
            return chain(_mark_taken(batches, keepers), rows)
    candidates = [row[2] for batch in batches for row in batch if row[3] == VALID]
    taken: set[str] = set()
    for start in range(0, len(candidates), 10_000):
        taken.update(
            contact_list.contacts.filter(
                status=Contact.Status.VALID,
                phone__in=candidates[start : start + 10_000],
            ).values_list("phone", flat=True)
        )
    return _mark_taken(batches, taken)


def _keepers(contact_list: ContactList) -> set[str]:
    keepers = contact_list.contacts.filter(status=Contact.Status.VALID)
    return set(keepers.values_list("phone", flat=True).iterator(50_000))


def _mark_taken(batches: list[list[tuple]], taken: set[str]) -> list[list[tuple]]:
    """The batches with their valid rows whose number is in `taken` as duplicates."""
    return [
        [
            (*row[:3], DUPLICATE_STATUS, DUPLICATE, *row[5:])
            if row[3] == VALID and row[2] in taken
            else row
            for row in batch
        ]
        for batch in batches
    ]


def _finish(
    contact_import: ContactImport,
    contact_list: ContactList,
    newest: int,
    *,
    claimed_at: datetime,
    keys: list[str],
    total: int,
    now: datetime,
) -> None:
    """Count the added rows, update the list and mark the import COMPLETED.

    Runs inside the import's transaction; if a newer run has claimed the import
    meanwhile, everything is rolled back (_Superseded).
    """
    if total >= ANALYZE_AFTER_ROWS:
        _refresh_statistics()
    added = Contact.objects.filter(contact_list=contact_list, pk__gt=newest)
    by_status = dict(added.order_by().values_list("status").annotate(n=Count("pk")))
    valid = by_status.get(Contact.Status.VALID, 0)
    invalid = by_status.get(Contact.Status.INVALID, 0)
    duplicate = by_status.get(Contact.Status.DUPLICATE, 0)
    opted_out = suppressed_count(contacts=added, account=contact_import.account_id)
    new_keys = [key for key in keys if key not in contact_list.attribute_keys]
    ContactList.objects.filter(pk=contact_list.pk).update(
        total_count=F("total_count") + total,
        valid_count=F("valid_count") + valid,
        invalid_count=F("invalid_count") + invalid,
        duplicate_count=F("duplicate_count") + duplicate,
        attribute_keys=[*contact_list.attribute_keys, *new_keys],
        updated_at=now,
    )
    completed = _ours(contact_import, claimed_at).update(
        status=Status.COMPLETED,
        total_rows=total,
        processed_rows=total,
        valid_rows=valid,
        invalid_rows=invalid,
        duplicate_rows=duplicate,
        opted_out_rows=opted_out,
        finished_at=now,
    )
    if not completed:
        raise _Superseded


def _refresh_statistics() -> None:
    """Re-sample the contacts table after a bulk insert (PostgreSQL).

    Run inside the import transaction, ANALYZE already sees the new rows, so the
    summary counts just after it and the list's first pages get plans made for a
    million rows, not for the empty list the old statistics describe (those plans
    read the whole list: seconds instead of milliseconds). Autovacuum would only
    catch up a minute later. SKIP_LOCKED: if autovacuum is at it, that will do.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {Contact._meta.db_table}")
