"""Turn a contact file's records into contact rows: the import's hot loop.

Everything per row happens here, in one pass, for both databases: pick the mapped
cells, normalise the number (the fast path of `contacts.phones`), decide valid,
invalid or duplicate. The database then only stores what this decided.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from operator import itemgetter

from django.conf import settings
from django.utils.translation import gettext as _

from contacts.columns import MappingDict
from contacts.files import FileRejected
from contacts.models import ContactStatus
from contacts.phones import PhoneNormalizer
from contacts.reasons import DUPLICATE, EXTRA_COLUMNS

BATCH_ROWS = 10_000
# How often an import reports its progress (a multiple of BATCH_ROWS).
PROGRESS_EVERY = 50_000
# The cells every importer row starts with, in order; attribute values follow.
ROW_COLUMNS = (
    "row_number",
    "raw_phone",
    "phone",
    "status",
    "reason",
    "country",
    "number_type",
    "first_name",
    "last_name",
)
VALID = ContactStatus.VALID.value
INVALID = ContactStatus.INVALID.value
DUPLICATE_STATUS = ContactStatus.DUPLICATE.value
# (phone, status, reason, country, number type) of a row with cells past the header.
_SHIFTED = ("", INVALID, EXTRA_COLUMNS, "", "")


def too_many_rows(limit: int) -> str:
    """The refusal for a file over CONTACT_UPLOAD_MAX_ROWS."""
    return _("The file has more than %(limit)s rows; split it into smaller files.") % {
        "limit": f"{limit:,}"
    }


def contact_rows(
    records: Iterator[list[str]],
    *,
    mapping: MappingDict,
    region: str,
    kept: set[str],
) -> Iterator[list[tuple]]:
    """The file's contacts in file order, BATCH_ROWS at a time.

    Each row is `(row_number, raw_phone, phone, status, reason, country,
    number_type, first_name, last_name, *attribute values)`. One C-level
    itemgetter picks the mapped cells, the fast path normalises the number, and
    `kept` (the numbers the list keeps, grown as new ones are met) turns later
    copies into duplicates. A row longer than the header is invalid
    (`extra_columns`): its cells may have shifted, so no number in it can be
    trusted; a shorter row is padded. Blank lines are skipped, but they count in
    the row numbers, which are the spreadsheet's.
    """
    width = len(mapping["columns"])
    # Column `width` is an empty cell appended to every row, for unmapped names.
    pick = itemgetter(
        mapping["phone"],
        width if mapping["first_name"] is None else mapping["first_name"],
        width if mapping["last_name"] is None else mapping["last_name"],
        *(index for _key, index in mapping["attributes"]),
    )
    normalize = PhoneNormalizer(region).normalize
    limit = settings.CONTACT_UPLOAD_MAX_ROWS
    header_pending = mapping["header"]
    padding = [""] * width
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
                raise FileRejected(too_many_rows(limit))
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
                phone, status, reason, country, kind = _SHIFTED
            elif not valid:
                status = INVALID
            elif phone in kept:
                status, reason = DUPLICATE_STATUS, DUPLICATE
            else:
                status = VALID
                kept.add(phone)
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
