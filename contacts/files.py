"""Contact files: check an upload before accepting it, then stream its rows.

`inspect_file` runs in the request, so a marketer learns at once that a file is
empty, binary, too big, not CSV/XLSX or in an unknown encoding. A CSV is decoded
whole once (`contacts.encodings`), so that a byte on row 900,000 cannot fail the
import after the user has left the page; a workbook is never expanded in the
request, only its zip directory and the head of its sheet are read
(`contacts.xlsx`). The worker then reads the file with the format found here
(`read_records`), one row at a time: neither step holds the file in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import islice
from typing import IO, Protocol

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from contacts import xlsx
from contacts.encodings import bom_encoding, detect_encoding
from contacts.errors import FileRejected
from contacts.models import FileFormat

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_ROWS = 50
_HEAD = 8192
_SNIFF_CHARS = 64 * 1024
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls
_ZIP_MAGIC = b"PK\x03\x04"
# Bytes below 0x20 other than tab, newline, vertical tab, form feed, return, ^Z.
_CONTROL = bytes(set(range(32)) - {9, 10, 11, 12, 13, 26})


class Layout(Protocol):
    """How a contact file is read: a FileInfo, or the ContactImport that stored it."""

    @property
    def file_format(self) -> str: ...

    @property
    def encoding(self) -> str: ...

    @property
    def delimiter(self) -> str: ...


@dataclass(frozen=True)
class FileInfo:
    """What an upload is and its first rows; `rows` counts records, blank included.

    A CSV's `rows` are its lines (never fewer than its records), a workbook's
    what its sheet's `<dimension>` claims; with `rows_estimated` the sheet had
    none and `rows` is a guess from its size, to show, not to refuse a file on.
    """

    file_format: str
    encoding: str
    delimiter: str
    first: list[str]
    sample: list[list[str]]
    rows: int
    rows_estimated: bool = False


def inspect_file(fileobj: IO[bytes], *, max_bytes: int) -> FileInfo:
    """Check that `fileobj` is a readable CSV or XLSX file and sample its rows.

    Raises FileRejected with a message for the user otherwise.
    """
    size = fileobj.seek(0, io.SEEK_END)
    if size == 0:
        raise FileRejected(_("The file is empty."))
    if size > max_bytes:
        raise FileRejected(
            _("The file is %(size)s; the largest file accepted is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)}
        )
    fileobj.seek(0)
    head = fileobj.read(_HEAD)
    if head.startswith(_ZIP_MAGIC):
        info = _inspect_xlsx(fileobj, max_bytes=max_bytes)
    elif head.startswith(_OLE_MAGIC):
        raise FileRejected(
            _("Excel 97-2003 (.xls) files are not supported: save it as .xlsx or CSV.")
        )
    else:
        info = _inspect_csv(fileobj, head)
    if not info.first:
        raise FileRejected(_("The file has no rows."))
    return info


def read_records(
    fileobj: IO[bytes], layout: Layout, *, first: int | None = None
) -> Generator[list[str], None, None]:
    """Every record of the file as strings, header and blank rows included.

    With `first`, only the first `first` non-blank records: what a preview or a
    column check needs. Every reader of a contact file comes through here, so
    the upload check, the preview, the import and the opt-outs read alike.
    """
    records = _records(fileobj, layout, first)
    return records if first is None else _first_records(records, first)


def is_blank(record: list[str]) -> bool:
    """True for an empty line or a row of empty cells (";;;"): not a contact."""
    return not any(cell.strip() for cell in record)


def count_records(fileobj: IO[bytes], info: FileInfo, *, stop: int) -> int:
    """Non-blank records, counted exactly but no further than `stop`."""
    with closing(read_records(fileobj, info)) as records:
        return sum(1 for _ in islice(filter(lambda r: not is_blank(r), records), stop))


def _records(
    fileobj: IO[bytes], layout: Layout, first: int | None
) -> Generator[list[str], None, None]:
    fileobj.seek(0)
    if layout.file_format == FileFormat.XLSX:
        # Read at the time of use: the bounds follow the setting (see xlsx).
        max_bytes = settings.CONTACT_UPLOAD_MAX_BYTES
        if first is None:
            yield from xlsx.records(fileobj, max_bytes=max_bytes)
        else:
            yield from xlsx.preview(fileobj, max_bytes=max_bytes, count=first).records
        return
    text = io.TextIOWrapper(fileobj, encoding=layout.encoding, newline="")
    try:
        yield from csv.reader(text, delimiter=layout.delimiter or ",")
    finally:
        # The caller owns the binary file: a collected wrapper would close it.
        if not fileobj.closed:
            text.detach()


def _first_records(
    records: Generator[list[str], None, None], count: int
) -> Generator[list[str], None, None]:
    with closing(records):
        yield from islice((r for r in records if not is_blank(r)), count)


def _first_rows(
    fileobj: IO[bytes], layout: Layout
) -> tuple[list[str], list[list[str]]]:
    rows = list(read_records(fileobj, layout, first=SAMPLE_ROWS + 1))
    return (rows[0], rows[1:]) if rows else ([], [])


# CSV ---------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head or head.startswith(_BINARY_MAGIC):
        return True
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls > len(head) // 20


def _encoding(fileobj: IO[bytes], head: bytes) -> tuple[str, int]:
    """The file's encoding and line count; FileRejected if it is none we read."""
    found = detect_encoding(fileobj, head)
    if found.name is not None:
        return found.name, found.lines
    message = _(
        "The file's text is not UTF-8 or Windows-1252%(guess)s. Save it as "
        "“CSV UTF-8” and upload it again."
    )
    likely = _(" (it looks like %(name)s)") % {"name": found.likely}
    raise FileRejected(message % {"guess": likely if found.likely else ""})


def _sniff_delimiter(text: str, *, complete: bool) -> str:
    """The delimiter that splits the sample into the most consistent rows.

    csv.Sniffer guesses from character frequencies and picks letters or spaces on
    small files; here each candidate parses the sample and the one giving the
    same cell count (above one) on the most rows wins, then the widest.
    """
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [
                row
                for row in islice(
                    csv.reader(io.StringIO(text), delimiter=delimiter), 200
                )
                if row
            ]
        except csv.Error:
            continue
        if not complete:
            rows = rows[:-1]  # the sample may end inside a row
        if not rows:
            continue
        widths = [len(row) for row in rows]
        width = max(set(widths), key=widths.count)
        score = (widths.count(width) / len(rows), width)
        if width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _inspect_csv(fileobj: IO[bytes], head: bytes) -> FileInfo:
    if bom_encoding(head) is None and _looks_binary(head):
        raise FileRejected(
            _("This is not a CSV or Excel file (it looks like binary data).")
        )
    encoding, lines = _encoding(fileobj, head)
    fileobj.seek(0)
    raw = fileobj.read(_SNIFF_CHARS * 4)
    text = raw.decode(encoding, errors="ignore")[:_SNIFF_CHARS]
    complete = len(raw) == fileobj.seek(0, io.SEEK_END) and len(text) < _SNIFF_CHARS
    delimiter = _sniff_delimiter(text, complete=complete)
    info = FileInfo(FileFormat.CSV, encoding, delimiter, [], [], lines)
    try:
        first, sample = _first_rows(fileobj, info)
    except csv.Error as exc:
        raise FileRejected(
            _("The file could not be read as CSV: %(error)s") % {"error": exc}
        ) from exc
    return replace(info, first=first, sample=sample)


# XLSX --------------------------------------------------------------------------


def _inspect_xlsx(fileobj: IO[bytes], *, max_bytes: int) -> FileInfo:
    """Only the zip directory and the sheet's head are read here (see xlsx)."""
    head = xlsx.preview(fileobj, max_bytes=max_bytes, count=SAMPLE_ROWS + 1)
    first, sample = (head.records[0], head.records[1:]) if head.records else ([], [])
    return FileInfo(
        FileFormat.XLSX,
        "",
        "",
        first,
        sample,
        head.rows,
        rows_estimated=not head.claimed,
    )
