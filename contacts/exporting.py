"""CSV downloads: a list's contacts and an import's error report.

Both stream from the database in chunks (a million-row list never sits in memory)
and neutralise every cell a spreadsheet would run as a formula: a leading
= + - @ (or tab / carriage return) gets a single quote in front, as OWASP advises
for CSV injection. That includes E.164 numbers ("+39..."); our own importer drops
that quote again, so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from contacts.models import Contact, ContactImport, ContactList
from contacts.reasons import DUPLICATE, reason_label

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 2000


class _Echo:
    """A write-only file for csv.writer that hands each line back."""

    def write(self, value: str) -> str:
        return value


def neutralize(value: object) -> str:
    """The cell as text, quoted with ' when a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Encode rows as CSV lines with every cell neutralised; UTF-8 BOM first.

    The BOM makes Excel read UTF-8 (accented names) instead of the ANSI code page.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([neutralize(cell) for cell in row])


def _download(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def list_export_response(
    contact_list: ContactList, *, status: str = ""
) -> StreamingHttpResponse:
    """The list's contacts in file order: numbers, verdicts, names, attributes."""
    keys = list(contact_list.attribute_keys)
    contacts = contact_list.contacts.order_by("pk")
    if status in Contact.Status.values:
        contacts = contacts.filter(status=status)
    header = [
        _("phone"),
        _("phone as given"),
        _("status"),
        _("reason"),
        _("country"),
        _("number type"),
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
        "first_name",
        "last_name",
        "attributes",
    )

    def rows() -> Iterator[list[object]]:
        yield header
        for *values, attributes in contacts.values_list(*fields).iterator(_CHUNK):
            yield [*values, *(attributes.get(key, "") for key in keys)]

    name = slugify(contact_list.name) or "contacts"
    return _download(csv_lines(rows()), f"{name}.csv")


def error_report_response(contact_import: ContactImport) -> StreamingHttpResponse:
    """The rows of an import that are not valid keepers, with the reason.

    A duplicate names the row it repeats when that row came from the same file,
    so the marketer can find both copies.
    """
    keeper = Contact.objects.filter(
        contact_list=OuterRef("contact_list"),
        phone=OuterRef("phone"),
        status=Contact.Status.VALID,
    )
    rejected = (
        Contact.objects.filter(
            contact_list=contact_import.contact_list_id,
            contact_import=contact_import,
            status__in=[Contact.Status.INVALID, Contact.Status.DUPLICATE],
        )
        .annotate(
            keeper_row=Subquery(keeper.values("row_number")[:1]),
            keeper_import=Subquery(keeper.values("contact_import")[:1]),
        )
        .order_by("row_number")
    )

    def reason(code: str, keeper_row: int | None, keeper_import: int | None) -> str:
        if code != DUPLICATE:
            return reason_label(code)
        if keeper_row is not None and keeper_import == contact_import.pk:
            return _("Duplicate of row %(row)d") % {"row": keeper_row}
        return _("Already in the list")

    def rows() -> Iterator[list[object]]:
        yield [_("row"), _("value"), _("reason"), _("first name"), _("last name")]
        values = rejected.values_list(
            "row_number",
            "raw_phone",
            "reason",
            "keeper_row",
            "keeper_import",
            "first_name",
            "last_name",
        )
        for row, raw, code, keeper_row, keeper_import, first, last in values.iterator(
            _CHUNK
        ):
            yield [row, raw, reason(code, keeper_row, keeper_import), first, last]

    return _download(csv_lines(rows()), f"import-{contact_import.pk}-errors.csv")
