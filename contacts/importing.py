"""Contact file imports: accept an upload, then run it in a worker.

`contact_import_create` checks the file in the request (the user learns at once
what is wrong) and stores it; `contact_import_start` hands it to Celery once the
columns are confirmed; `contact_import_run` (the task body) streams the rows
through the fast phone normaliser into a staging table and merges them into the
list in one transaction. Until that transaction commits the list is untouched, so
a failure at any row leaves nothing half-written; the import then says FAILED and
why.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from operator import itemgetter
from pathlib import PurePath
from typing import IO
from uuid import uuid4

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from contacts.columns import MappingDict, detect_mapping
from contacts.files import (
    FileInfo,
    FileRejected,
    count_records,
    first_rows,
    inspect_file,
    read_records,
)
from contacts.models import Contact, ContactImport, ContactList
from contacts.phones import PhoneNormalizer
from contacts.reasons import DUPLICATE, EXTRA_COLUMNS
from contacts.selectors import suppressed_q
from contacts.staging import Stage

logger = logging.getLogger(__name__)

BATCH_ROWS = 10_000
PROGRESS_EVERY = 50_000
# A RUNNING import this old lost its worker (a normal run takes seconds): a new
# run may claim it. The merge re-checks the claim, so a slow original cannot
# also write.
STALE_AFTER = timedelta(minutes=15)
Status = ContactImport.Status
VALID, INVALID = Contact.Status.VALID.value, Contact.Status.INVALID.value
DUPLICATE_STATUS = Contact.Status.DUPLICATE.value


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
        ContactImport.objects.filter(pk=import_id)
        .filter(
            # PENDING, or RUNNING on a worker that died long ago.
            status__in=[Status.PENDING, Status.RUNNING],
        )
        .exclude(status=Status.RUNNING, started_at__gt=claimed_at - STALE_AFTER)
        .update(status=Status.RUNNING, started_at=claimed_at)
    )
    if not won:
        return
    contact_import = ContactImport.objects.get(pk=import_id)
    try:
        with contact_import.file.open("rb") as fileobj:
            _run(contact_import, fileobj, claimed_at)
    except FileRejected as exc:
        _fail(contact_import, claimed_at, exc.message)
    except Exception:
        logger.exception("Contact import %s failed", import_id)
        _fail(
            contact_import,
            claimed_at,
            _("The import stopped on an unexpected error. The list was not changed."),
        )


def import_preview(contact_import: ContactImport, *, rows: int = 10) -> list[list[str]]:
    """The file's first non-blank rows (header included) for the mapping step."""
    with contact_import.file.open("rb") as fileobj:
        return first_rows(
            read_records(
                fileobj,
                file_format=contact_import.file_format,
                encoding=contact_import.encoding,
                delimiter=contact_import.delimiter,
            ),
            rows + 1,
        )


def _enqueue(import_id: int) -> None:
    from contacts.tasks import import_contacts_task

    import_contacts_task.delay_on_commit(import_id)


def _check_row_limit(upload: File, info: FileInfo, *, header: bool) -> int:
    """Data rows of the file (estimated); FileRejected beyond the setting.

    The estimate counts lines, so it can only over-count (blank lines, line breaks
    inside quoted cells): past the limit the rows are counted exactly.
    """
    limit = settings.CONTACT_UPLOAD_MAX_ROWS
    skip = 1 if header else 0
    rows = max(info.rows - skip, 0)
    if rows > limit:
        rows = count_records(upload, info, stop=limit + skip + 1) - skip
        if rows > limit:
            raise FileRejected(_too_many_rows(limit))
    return rows


def _too_many_rows(limit: int) -> str:
    return _("The file has more than %(limit)s rows; split it into smaller files.") % {
        "limit": f"{limit:,}"
    }


def _fail(contact_import: ContactImport, claimed_at: datetime, message: str) -> None:
    ContactImport.objects.filter(
        pk=contact_import.pk, status=Status.RUNNING, started_at=claimed_at
    ).update(status=Status.FAILED, error=message, finished_at=timezone.now())


def _run(
    contact_import: ContactImport, fileobj: IO[bytes], claimed_at: datetime
) -> None:
    mapping: MappingDict = contact_import.mapping
    keys = [key for key, _index in mapping["attributes"]]
    with Stage(import_id=contact_import.pk, attributes=len(keys)) as stage:
        total = _stage_rows(contact_import, fileobj, stage)
        _merge(contact_import, stage, keys=keys, total=total, claimed_at=claimed_at)


def _stage_rows(contact_import: ContactImport, fileobj: IO[bytes], stage: Stage) -> int:
    """Normalise every data row into the stage; return how many there were."""
    records = read_records(
        fileobj,
        file_format=contact_import.file_format,
        encoding=contact_import.encoding,
        delimiter=contact_import.delimiter,
    )
    count = 0
    with closing(records):
        for batch in _batches(contact_import, records):
            stage.write(batch)
            count += len(batch)
            if count % PROGRESS_EVERY == 0:
                # Autocommitted at once, so the polling page sees it.
                ContactImport.objects.filter(pk=contact_import.pk).update(
                    processed_rows=count
                )
    ContactImport.objects.filter(pk=contact_import.pk).update(
        processed_rows=count, total_rows=count
    )
    return count


def _batches(
    contact_import: ContactImport, records: Iterator[list[str]]
) -> Iterator[list[tuple]]:
    """Stage rows in file order, BATCH_ROWS at a time: the hot loop.

    One C-level itemgetter picks the mapped cells, the fast path normalises the
    number, and a set of the numbers kept so far marks later copies as duplicates.
    A row longer than the header is kept as invalid (`extra_columns`): its cells
    may have shifted, so no number in it can be trusted; a shorter row is padded.
    """
    mapping: MappingDict = contact_import.mapping
    width = len(mapping["columns"])
    # Column `width` is an empty cell appended to every row, for unmapped names.
    pick = itemgetter(
        mapping["phone"],
        width if mapping["first_name"] is None else mapping["first_name"],
        width if mapping["last_name"] is None else mapping["last_name"],
        *(index for _key, index in mapping["attributes"]),
    )
    normalize = PhoneNormalizer(contact_import.default_region).normalize
    limit = settings.CONTACT_UPLOAD_MAX_ROWS
    header_pending = mapping["header"]
    padding = [""] * width
    seen: set[str] = set()
    batch: list[tuple] = []
    count = row_number = 0
    try:
        for row_number, record in enumerate(records, start=1):
            cells = "".join(record)
            if not cells.strip():
                continue  # blank line: not a row of the list
            if "\x00" in cells:  # PostgreSQL text cannot hold NUL; it means nothing
                record = [cell.replace("\x00", "") for cell in record]
            if header_pending:
                header_pending = False
                continue
            count += 1
            if count > limit:
                raise FileRejected(_too_many_rows(limit))
            extra = False
            if len(record) != width:
                if len(record) > width:
                    extra = bool("".join(record[width:]).strip())
                    record = record[:width]
                record += padding[: width - len(record)]
            record.append("")
            raw, first, last, *attributes = pick(record)
            phone, valid, reason, country, kind = normalize(raw)
            if extra:
                phone, status, reason, country, kind = (
                    "",
                    INVALID,
                    EXTRA_COLUMNS,
                    "",
                    "",
                )
            elif not valid:
                status = INVALID
            elif phone in seen:
                status, reason = DUPLICATE_STATUS, DUPLICATE
            else:
                status = VALID
                seen.add(phone)
            batch.append(
                (
                    row_number,
                    raw[:64],
                    phone,
                    status,
                    reason,
                    country,
                    kind,
                    first.strip()[:100],
                    last.strip()[:100],
                    *attributes,
                )
            )
            if len(batch) == BATCH_ROWS:
                yield batch
                batch = []
    except csv.Error as exc:
        raise FileRejected(
            _(
                "Row %(row)d could not be read (%(error)s). "
                "Nothing from this file was imported."
            )
            % {"row": row_number + 1, "error": exc}
        ) from exc
    yield batch


def _merge(
    contact_import: ContactImport,
    stage: Stage,
    *,
    keys: list[str],
    total: int,
    claimed_at: datetime,
) -> None:
    """Write the staged rows, the list's counts and the summary in one transaction."""
    with transaction.atomic():
        # The list lock serialises imports and API additions to the same list, so
        # two of them never both decide that a number is new.
        contact_list = ContactList.objects.select_for_update().get(
            pk=contact_import.contact_list_id
        )
        ours = ContactImport.objects.select_for_update().filter(
            pk=contact_import.pk, status=Status.RUNNING, started_at=claimed_at
        )
        if not ours.exists():
            return  # a newer run took over this import
        now = timezone.now()
        # Ids come from one sequence and the list is locked: the rows this merge
        # adds are exactly the list's rows above its current highest id.
        newest = contact_list.contacts.aggregate(newest=Max("pk"))["newest"] or 0
        stage.merge(
            contact_list_id=contact_list.pk,
            import_id=contact_import.pk,
            keys=keys,
            now=now,
            list_has_keepers=contact_list.valid_count > 0,
        )
        added = Contact.objects.filter(contact_list=contact_list, pk__gt=newest)
        by_status = dict(added.order_by().values_list("status").annotate(n=Count("pk")))
        valid = by_status.get(Contact.Status.VALID, 0)
        invalid = by_status.get(Contact.Status.INVALID, 0)
        duplicate = by_status.get(Contact.Status.DUPLICATE, 0)
        opted_out = (
            added.filter(status=Contact.Status.VALID)
            .filter(suppressed_q(account=contact_import.account_id))
            .count()
        )
        new_keys = [k for k in keys if k not in contact_list.attribute_keys]
        ContactList.objects.filter(pk=contact_list.pk).update(
            total_count=F("total_count") + total,
            valid_count=F("valid_count") + valid,
            invalid_count=F("invalid_count") + invalid,
            duplicate_count=F("duplicate_count") + duplicate,
            attribute_keys=[*contact_list.attribute_keys, *new_keys],
            updated_at=now,
        )
        ours.update(
            status=Status.COMPLETED,
            total_rows=total,
            processed_rows=total,
            valid_rows=valid,
            invalid_rows=invalid,
            duplicate_rows=duplicate,
            opted_out_rows=opted_out,
            finished_at=now,
        )
