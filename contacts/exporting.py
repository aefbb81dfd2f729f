"""Downloads: a list's contacts and an import's error report, as CSV or XLSX.

Both read the database in chunks (a million-row list never sits in memory).
CSV neutralises every cell a spreadsheet would run as a formula: a leading
= + - @ (or tab / carriage return) gets a single quote in front, as OWASP advises
for CSV injection, except a well-formed E.164 number ("+393331234567": a plus
and digits only cannot be a formula), which marketers paste back into other
tools as it is. XLSX writes every cell as text (`t="s"`), which Excel never
evaluates, so values stay exactly as stored and a long number keeps its digits,
less the control characters XML 1.0 cannot hold (a name with "\x07" in it made
openpyxl raise); CSV keeps them.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from contacts.models import Contact, ContactImport, ContactList
from contacts.reasons import DUPLICATE, reason_label
from contacts.selectors import with_opted_out

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_CHUNK = 2000
Format = Literal["csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A write-only file for csv.writer that hands each line back."""

    def write(self, value: str) -> str:
        return value


def neutralize(value: object) -> str:
    """The cell as text, quoted with ' when a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    if _E164.fullmatch(text):
        return text
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Encode rows as CSV lines with every cell neutralised; UTF-8 BOM first.

    The BOM makes Excel read UTF-8 (accented names) instead of the ANSI code page.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([neutralize(cell) for cell in row])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):  # 0.0350 -> 0.035, as the API writes it
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, datetime):  # ISO 8601, to the second, offset kept
        return value.isoformat(timespec="seconds")
    return str(value)


def xlsx_file(
    rows: Iterable[Iterable[object]], *, title: str
) -> tempfile.SpooledTemporaryFile:
    """Write rows to a write-only workbook of text cells; the file, rewound.

    openpyxl's write-only mode streams rows to disk; a string starting with "="
    would become a formula, so each cell is typed as text explicitly.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    for row in rows:
        cells = []
        for value in row:
            text = ILLEGAL_CHARACTERS_RE.sub("", _cell_text(value))
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    # FileResponse closes it once sent.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115
    workbook.save(out)
    out.seek(0)
    return out


def tabular_response(
    rows: Iterable[Iterable[object]], *, filename: str, fmt: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """`rows` (header first) as a CSV stream or an XLSX file named `filename`.ext."""
    if fmt == "xlsx":
        return FileResponse(
            xlsx_file(rows, title=filename),
            as_attachment=True,
            filename=f"{filename}.xlsx",
            content_type=XLSX_TYPE,
        )
    lines = csv_lines([_cell_text(v) for v in row] for row in rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def list_export_response(
    contact_list: ContactList, *, status: str = "", fmt: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """The list's contacts in file order: numbers, verdicts, whether campaigns
    skip them (opted out or blacklisted), names, attributes."""
    keys = list(contact_list.attribute_keys)
    contacts = with_opted_out(
        contact_list.contacts.order_by("pk"), account=contact_list.account_id
    )
    if status in Contact.Status.values:
        contacts = contacts.filter(status=status)
    header = [
        _("phone"),
        _("phone as given"),
        _("status"),
        _("reason"),
        _("country"),
        _("number type"),
        _("opted out"),
        _("first name"),
        _("last name"),
        *keys,
    ]
    fields = (
        "phone",
        "raw_phone",
        "status",
        "reason",
        "country",
        "number_type",
        "is_opted_out",
        "first_name",
        "last_name",
        "attributes",
    )

    def rows() -> Iterator[list[object]]:
        yield header
        for *values, attributes in contacts.values_list(*fields).iterator(_CHUNK):
            yield [*values, *(attributes.get(key, "") for key in keys)]

    name = slugify(contact_list.name) or "contacts"
    return tabular_response(rows(), filename=name, fmt=fmt)


def error_report_response(
    contact_import: ContactImport, *, fmt: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """The rows of an import campaigns will not message, with the reason.

    That is invalid rows, duplicates, and valid numbers opted out or
    blacklisted (the "opted out" column says which). A duplicate names the row
    it repeats when that row came from the same file, so the marketer can find
    both copies.
    """
    keeper = Contact.objects.filter(
        contact_list=OuterRef("contact_list"),
        phone=OuterRef("phone"),
        status=Contact.Status.VALID,
    )
    rows_of_import = with_opted_out(
        Contact.objects.filter(
            contact_list=contact_import.contact_list_id, contact_import=contact_import
        ),
        account=contact_import.account_id,
    )
    rejected = (
        rows_of_import.filter(
            Q(status__in=[Contact.Status.INVALID, Contact.Status.DUPLICATE])
            | Q(is_opted_out=True)
        )
        .annotate(
            keeper_row=Subquery(keeper.values("row_number")[:1]),
            keeper_import=Subquery(keeper.values("contact_import")[:1]),
        )
        .order_by("row_number")
    )

    def reason(
        status: str, code: str, keeper_row: int | None, keeper_import: int | None
    ) -> str:
        if status == Contact.Status.VALID:
            return _("Opted out or blacklisted")
        if code != DUPLICATE:
            return reason_label(code)
        if keeper_row is not None and keeper_import == contact_import.pk:
            return _("Duplicate of row %(row)d") % {"row": keeper_row}
        return _("Already in the list")

    def rows() -> Iterator[list[object]]:
        yield [
            _("row"),
            _("value"),
            _("reason"),
            _("opted out"),
            _("first name"),
            _("last name"),
        ]
        values = rejected.values_list(
            "row_number",
            "raw_phone",
            "status",
            "reason",
            "keeper_row",
            "keeper_import",
            "is_opted_out",
            "first_name",
            "last_name",
        )
        for (
            row,
            raw,
            status,
            code,
            keeper_row,
            keeper_import,
            opted_out,
            first,
            last,
        ) in values.iterator(_CHUNK):
            why = reason(status, code, keeper_row, keeper_import)
            yield [row, raw, why, opted_out, first, last]

    name = f"import-{contact_import.pk}-errors"
    return tabular_response(rows(), filename=name, fmt=fmt)
