"""Read the first sheet of an .xlsx workbook within fixed bounds, whatever it claims.

An .xlsx file is a zip of XML parts, and a small upload can expand without
limit. openpyxl, even read-only, loads every shared string when it opens a
workbook, builds a whole row before it hands it over and stops at the row the
sheet's `<dimension>` claims: a 506 KB workbook of 8M shared strings took a web
worker to 1 GB, one row of 3M cells took 3 GB, a 701 KB file of 2M rows spent
17 s in the request. So the parts are read here with expat, fed a chunk at a
time, keeping no more than a row needs:

- `_open_workbook` looks only at the zip directory: the number of parts, their
  packing (deflated or stored, not encrypted), the total uncompressed size
  (EXPANSION times the upload limit), the shared strings' size (the upload
  limit: they are held in memory) and each part's compression ratio
  (MAX_RATIO, as Apache POI's ZipSecureFile).
- `preview` reads the head of the sheet (PREVIEW_BYTES of XML at most) and only
  the shared strings those rows use, found by counting `<si` in the inflated
  stream without parsing the rest: the request stays well under a second.
- `records` streams every row for the import. Shared strings are held as UTF-8
  bytes plus an offset each (bounded by the part's size); a row keeps at most
  MAX_COLUMNS cells and a cell at most MAX_CELL_CHARS characters, refused past
  that with the cell's name. Rows are the sheet's, numbered as Excel does.

A malformed part is refused as a damaged workbook, never a 500. DTDs are
refused, so no entity can expand either.
"""

from __future__ import annotations

import logging
import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import repeat
from typing import IO
from xml.parsers import expat

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

from accounts.digits import ascii_digits
from contacts.errors import FileRejected

logger = logging.getLogger(__name__)

MAX_COLUMNS = 200
MAX_CELL_CHARS = 1000
# Uncompressed parts together may be this many times the upload limit.
EXPANSION = 10
# Spreadsheet XML deflates 5 to 20 times; a part packed tighter than this is a
# bomb, not a sheet (Apache POI refuses the same). Small parts are exempt.
MAX_RATIO = 100
PREVIEW_BYTES = 1 << 20
_RATIO_GRACE = 100 * 1024
_MAX_PARTS = 10_000
_SMALL_PART = 4 << 20  # rels, workbook.xml, styles.xml: parsed whole
_MAX_ROW = 1_048_576  # Excel's last row
_MAX_SI_BYTES = 1 << 20  # one shared string's XML, rich-text runs included
_CHUNK = 64 * 1024
_EOCD = b"PK\x05\x06"
_SST_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*:))?sst[\s/>]")

# A shared string's value, or None for one longer than MAX_CELL_CHARS.
Strings = Callable[[int], str | None]


@dataclass(frozen=True)
class Preview:
    """The first non-blank rows, and how many rows the sheet has.

    `rows` is what the sheet's `<dimension>` claims (`claimed`), else an
    estimate from the sheet's size and the bytes its first rows took.
    """

    records: list[list[str]]
    rows: int
    claimed: bool


class _Damaged(Exception):
    """A part is not the XML a workbook holds (the message says where, for logs)."""


def preview(fileobj: IO[bytes], *, max_bytes: int, count: int) -> Preview:
    """The first `count` non-blank rows of the first sheet, read from its head.

    Raises FileRejected for anything that is not a workbook within the bounds.
    """
    with _guarded(), _open_workbook(fileobj, max_bytes=max_bytes) as book:
        # Which shared strings the first rows use, then only those are read.
        wanted: set[int] = set()

        def note(index: int) -> str:
            wanted.add(index)
            return ""

        book.head(count, note)
        found = book.strings_at(wanted)

        def strings(index: int) -> str | None:
            if index not in found:
                raise _Damaged(f"shared string {index} not found")
            return found[index]

        return book.head(count, strings)


def records(fileobj: IO[bytes], *, max_bytes: int) -> Generator[list[str], None, None]:
    """Every row of the first sheet, blank ones included, in memory bounded by the caps."""
    with _guarded(), _open_workbook(fileobj, max_bytes=max_bytes) as book:
        yield from book.rows(book.all_strings())


def _open_workbook(fileobj: IO[bytes], *, max_bytes: int) -> _Workbook:
    """Check the zip directory against the bounds, then read the workbook's layout."""
    _check_directory_size(fileobj)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise FileRejected(_not_a_workbook()) from exc
    try:
        _check_parts(archive, max_bytes=max_bytes)
        return _Workbook(archive, max_bytes=max_bytes)
    except BaseException:
        archive.close()
        raise


def _cell_text(value: object) -> str:
    """A cell as the user typed it: 3331234567.0 is a number Excel stored as float."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# The zip directory -------------------------------------------------------------


def _not_a_workbook() -> str:
    return _("This is not an Excel (.xlsx) workbook or a CSV file.")


def _check_directory_size(fileobj: IO[bytes]) -> None:
    """Refuse a zip whose directory alone is big, before zipfile reads it.

    zipfile builds an object per part when it opens an archive: millions of
    empty parts would cost a gigabyte before any check here could run.
    """
    size = fileobj.seek(0, 2)
    tail_start = max(0, size - 22 - 0xFFFF)
    fileobj.seek(tail_start)
    tail = fileobj.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        raise FileRejected(_not_a_workbook())
    parts, directory = struct.unpack("<H I", tail[at + 10 : at + 16])
    if parts > _MAX_PARTS or directory > _MAX_PARTS * 1024:
        raise FileRejected(
            _("The workbook holds more than %(count)s parts; no spreadsheet does.")
            % {"count": f"{_MAX_PARTS:,}"}
        )


def _check_parts(archive: zipfile.ZipFile, *, max_bytes: int) -> None:
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > EXPANSION * max_bytes:
        raise FileRejected(
            _(
                "The workbook expands to %(size)s of data; the most accepted is "
                "%(limit)s. Save the contacts alone, or as CSV."
            )
            % {
                "size": filesizeformat(total),
                "limit": filesizeformat(EXPANSION * max_bytes),
            }
        )
    for info in infos:
        # bzip2 and lzma parts would inflate in one call, whatever their size
        # says; an encrypted part cannot be read at all.
        packed = info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        if not packed or info.flag_bits & 0x1:
            raise FileRejected(_not_a_workbook())
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_GRACE and ratio > MAX_RATIO:
            raise FileRejected(
                _(
                    "The workbook is packed %(ratio)s to 1, which no spreadsheet "
                    "is. Save it again from Excel, or as CSV."
                )
                % {"ratio": f"{int(ratio):,}"}
            )


# The workbook's layout ---------------------------------------------------------


class _Workbook:
    """The parts of an opened workbook this module reads, and its date styles."""

    def __init__(self, archive: zipfile.ZipFile, *, max_bytes: int) -> None:
        self.archive = archive
        office = _relationships(archive, "_rels/.rels", "")
        workbook = next(
            (target for kind, target in office.values() if kind == "officeDocument"),
            None,
        )
        if workbook is None or workbook not in archive.NameToInfo:
            raise FileRejected(_not_a_workbook())
        folder, name = posixpath.split(workbook)
        parts = _relationships(archive, f"{folder}/_rels/{name}.rels", folder)
        sheet_ids, self.epoch = _workbook_sheets(_read_small(archive, workbook))
        sheet = next(
            (
                parts[rid][1]
                for rid in sheet_ids
                if rid in parts and parts[rid][0] == "worksheet"
            ),
            None,
        )
        if sheet is None or sheet not in archive.NameToInfo:
            raise FileRejected(_("The workbook has no sheets."))
        self.sheet = archive.getinfo(sheet)
        kinds = {kind: target for kind, target in parts.values()}
        self.shared = kinds.get("sharedStrings")
        if self.shared is not None:
            if self.shared not in archive.NameToInfo:
                raise _Damaged(self.shared)
            _check_shared_strings(archive.getinfo(self.shared), max_bytes=max_bytes)
        styles = kinds.get("styles")
        self.dates: frozenset[str] = frozenset()
        self.durations: frozenset[str] = frozenset()
        if styles in archive.NameToInfo:
            self.dates, self.durations = _date_styles(_read_small(archive, styles))

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def head(self, count: int, strings: Strings) -> Preview:
        """The first `count` non-blank rows, reading PREVIEW_BYTES of XML at most."""
        sheet = _Sheet(strings, self)
        found: list[list[str]] = []
        with self.archive.open(self.sheet) as stream:
            for _number, cells in sheet.parse(stream, budget=PREVIEW_BYTES):
                if any(cell.strip() for cell in cells):
                    found.append(cells)
                    if len(found) == count:
                        break
        if not found and not sheet.finished:
            raise FileRejected(
                _(
                    "The workbook's first sheet shows no rows near its top. Save "
                    "the contacts alone, or as CSV."
                )
            )
        if sheet.claimed_rows is not None:
            return Preview(found, sheet.claimed_rows, claimed=True)
        if sheet.finished or not sheet.bytes_read:
            return Preview(found, sheet.last_row, claimed=False)
        estimate = sheet.last_row * self.sheet.file_size // sheet.bytes_read
        return Preview(found, estimate, claimed=False)

    def rows(self, strings: Strings) -> Iterator[list[str]]:
        """Every row, with an empty record for each row number the sheet skips."""
        sheet = _Sheet(strings, self)
        last = 0
        with self.archive.open(self.sheet) as stream:
            for number, cells in sheet.parse(stream):
                for _skipped in range(number - last - 1):
                    yield []  # a new list each: readers may extend a record
                yield cells
                last = number

    def all_strings(self) -> Strings:
        """Every shared string, read once for the import (bounded: see _StringStore)."""
        if self.shared is None:
            return _no_strings
        info = self.archive.getinfo(self.shared)
        store = _StringStore()
        with self.archive.open(info) as stream:
            _feed(_shared_string_parser(store.add), stream)
        return store.get

    def strings_at(self, wanted: set[int]) -> dict[int, str | None]:
        """The shared strings numbered in `wanted`, the others only counted."""
        if not wanted or self.shared is None:
            return {}
        with self.archive.open(self.shared) as stream:
            return _strings_at(stream, sorted(wanted))


def _check_shared_strings(info: zipfile.ZipInfo, *, max_bytes: int) -> None:
    """The import holds every shared string in memory: no more than an upload's worth."""
    if info.file_size > max_bytes:
        raise FileRejected(
            _(
                "The workbook's text table is %(size)s; the most accepted is "
                "%(limit)s. Save the contacts alone, or as CSV."
            )
            % {
                "size": filesizeformat(info.file_size),
                "limit": filesizeformat(max_bytes),
            }
        )


def _no_strings(index: int) -> str | None:
    raise _Damaged(f"shared string {index} of none")


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _SMALL_PART:
        raise _Damaged(f"{name} is {info.file_size} bytes")
    return archive.read(info)


def _relationships(
    archive: zipfile.ZipFile, name: str, folder: str
) -> dict[str, tuple[str, str]]:
    """A .rels part: id -> (type's last word, target's path in the zip)."""
    if name not in archive.NameToInfo:
        raise FileRejected(_not_a_workbook())
    found: dict[str, tuple[str, str]] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else f"{folder}/{target}"
            kind = attrs.get("Type", "").rpartition("/")[2]
            found[attrs.get("Id", "")] = (kind, posixpath.normpath(path).lstrip("/"))

    _feed_bytes(_parser(start=start), _read_small(archive, name))
    return found


def _workbook_sheets(data: bytes) -> tuple[list[str], datetime]:
    """The sheets' relationship ids in tab order, and the workbook's date epoch."""
    ids: list[str] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "sheet":
            ids.extend(value for key, value in attrs.items() if key.endswith(" id"))
        elif local == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    _feed_bytes(_parser(start=start), data)
    return ids, epoch[0]


def _date_styles(data: bytes) -> tuple[frozenset[str], frozenset[str]]:
    """The cell styles (their `s` in a cell) showing a date, and those a duration."""
    formats: dict[int, str] = {}
    cell_formats: list[int] = []
    inside: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "numFmt":
            formats[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
        elif local == "xf" and inside[-1:] == ["cellXfs"]:
            cell_formats.append(_int(attrs.get("numFmtId", "0")))
        inside.append(local)

    def end(tag: str) -> None:
        inside.pop()

    _feed_bytes(_parser(start=start, end=end), data)
    codes = [formats.get(i) or BUILTIN_FORMATS.get(i, "General") for i in cell_formats]
    return (
        frozenset(str(i) for i, code in enumerate(codes) if is_date_format(code)),
        frozenset(str(i) for i, code in enumerate(codes) if is_timedelta_format(code)),
    )


# Shared strings ----------------------------------------------------------------


class _StringStore:
    """Shared strings as UTF-8 bytes and end offsets: ~1 byte a character, 4 a string.

    A list of str would cost 50 bytes and more per string; the part's size
    (capped) bounds this store instead.
    """

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("I")
        self._long: set[int] = set()

    def add(self, text: str | None) -> None:
        if text is None:
            self._long.add(len(self._ends))
        else:
            self._data += text.encode()
        self._ends.append(len(self._data))

    def get(self, index: int) -> str | None:
        if index in self._long:
            return None
        try:
            end = self._ends[index]
        except IndexError:
            raise _Damaged(f"shared string {index} of {len(self._ends)}") from None
        start = self._ends[index - 1] if index else 0
        return self._data[start:end].decode()


def _shared_string_parser(add: Callable[[str | None], None]) -> expat.XMLParserType:
    """A parser calling `add` with each string's text (None if too long).

    The text of a string is its `<t>` elements, rich-text runs included; the
    phonetic guides (`<rPh>`) are not part of it, as in Excel and openpyxl.
    """
    pieces: list[str] = []
    state = {"collect": False, "phonetic": 0, "length": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "si":
            pieces.clear()
            state["length"] = 0
        elif local == "t" and not state["phonetic"]:
            state["collect"] = True
        elif local == "rPh":
            state["phonetic"] += 1

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "si":
            add(None if state["length"] > MAX_CELL_CHARS else "".join(pieces))
        elif local == "t":
            state["collect"] = False
        elif local == "rPh":
            state["phonetic"] -= 1

    def text(data: str) -> None:
        if state["collect"]:
            state["length"] += len(data)
            if state["length"] <= MAX_CELL_CHARS:
                pieces.append(data)

    return _parser(start=start, end=end, text=text)


def _strings_at(stream: IO[bytes], targets: list[int]) -> dict[int, str | None]:
    """Shared strings by number, skipping the others at the speed of bytes.count.

    `<si` cannot occur in XML text (a `<` there is `&lt;`), so counting it
    numbers the strings without parsing them; only the wanted ones are parsed,
    each wrapped in the part's own root tag so that its namespaces hold.
    """
    data = stream.read(_CHUNK)
    root = _SST_ROOT.search(data)
    if root is None:
        raise _Damaged("sharedStrings has no <sst>")
    prefix = root.group(1) or b""
    end = data.find(b">", root.start())
    if end < 0:
        raise _Damaged("sharedStrings' <sst> tag does not end")
    opening = data[root.start() : end + 1]
    if opening.endswith(b"/>"):
        return {}  # an empty table: any use of it is damage
    token, closing = b"<" + prefix + b"si", b"</" + prefix + b"sst>"
    found: dict[int, str | None] = {}
    carry = data[len(opening) + root.start() :]
    index = -1  # the string whose bytes start `carry` (-1: none yet)
    truncated = False  # `carry` lost the start of string `index`
    while True:
        chunk = stream.read(_CHUNK)
        if chunk:
            carry += chunk
        complete = carry.count(token)  # strings index .. index + complete - 1 end here
        if not chunk:
            complete += 1  # the last one ends with the part
        low = bisect_left(targets, index)
        high = bisect_right(targets, index + complete - 1)
        if low < high:
            pieces = carry.split(token)
            for target in targets[low:high]:
                if target == index and truncated:
                    found[target] = None
                else:
                    piece = pieces[target - index]
                    found[target] = _one_string(opening + token + piece, closing)
        if len(found) == len(targets) or not chunk:
            return found
        if complete:
            index += complete
            carry = carry[carry.rindex(token) + len(token) :]
            truncated = False
        if len(carry) > _MAX_SI_BYTES:  # no cell is that long: keep only its end
            carry = carry[-len(token) :]
            truncated = True


def _one_string(fragment: bytes, closing: bytes) -> str | None:
    end = fragment.rfind(closing)
    fragment = fragment[:end] if end >= 0 else fragment
    strings: list[str | None] = []
    _feed_bytes(_shared_string_parser(strings.append), fragment + closing)
    if len(strings) != 1:
        raise _Damaged("a shared string")
    return strings[0]


# The sheet ---------------------------------------------------------------------


# Where the sheet's parser is: a cell is only read inside a row, a row outside any.
_OUTSIDE, _IN_ROW, _IN_CELL = range(3)


class _Sheet:
    """expat handlers turning a sheet's XML into rows of strings, within the caps."""

    def __init__(self, strings: Strings, book: _Workbook) -> None:
        self.strings = strings
        self.dates = book.dates
        self.durations = book.durations
        self.epoch = book.epoch
        self.claimed_rows: int | None = None
        self.last_row = 0
        self.bytes_read = 0
        self.finished = False
        self._done: list[tuple[int, list[str]]] = []
        self._cells: list[str] = []
        self._column = 0
        self._kind = "n"
        self._style = "0"
        self._text: list[str] = []
        self._length = 0
        self._collect = False
        self._phonetic = 0
        self._inside = _OUTSIDE
        self._parser = _parser(start=self._start, end=self._end, text=self._chars)

    def parse(
        self, stream: IO[bytes], *, budget: int | None = None
    ) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) for each `<row>`; stops after `budget` bytes of XML."""
        parser = self._parser
        fed = 0
        while chunk := stream.read(_CHUNK):
            _parse(parser, chunk)
            fed += len(chunk)
            yield from self._take()
            if budget is not None and fed >= budget:
                return
        _parse(parser, b"", final=True)
        self.finished = True
        yield from self._take()

    def _take(self) -> list[tuple[int, list[str]]]:
        done, self._done = self._done, []
        return done

    # The handlers run per element of a million-row sheet: tags and cell
    # references are looked up in dicts, not parsed again each time.

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _LOCAL.get(tag) or _local(tag)
        if local == "c":
            if self._inside != _IN_ROW:
                raise _Damaged(f"a cell outside a row, after row {self.last_row}")
            self._inside = _IN_CELL
            ref = attrs.get("r")
            self._column = _column(ref) if ref else self._column + 1
            self._kind = attrs.get("t", "n")
            self._style = attrs.get("s", "0")
            self._text.clear()
            self._length = 0
        elif local == "v" or (local == "t" and not self._phonetic):
            self._collect = True
        elif local == "row":
            if self._inside != _OUTSIDE:
                raise _Damaged(f"a row inside row {self.last_row}")
            self._inside = _IN_ROW
            ref = attrs.get("r")
            number = _int(ref) if ref else self.last_row + 1
            if not self.last_row < number <= _MAX_ROW:
                raise _Damaged(f"row {number} after row {self.last_row}")
            self.last_row = number
            self._cells = []
            self._column = 0
        elif local == "rPh":
            self._phonetic += 1
        elif local == "dimension":
            self.claimed_rows = _dimension_rows(attrs.get("ref", ""))

    def _end(self, tag: str) -> None:
        local = _LOCAL.get(tag) or _local(tag)
        if local == "c":
            self._inside = _IN_ROW
            value = self._value()
            if value:
                if self._column > MAX_COLUMNS:
                    raise FileRejected(
                        _(
                            "Cell %(cell)s is past column %(last)s: a contact file "
                            "has %(max)s columns at most."
                        )
                        % {
                            "cell": self._cell_name(),
                            "last": get_column_letter(MAX_COLUMNS),
                            "max": MAX_COLUMNS,
                        }
                    )
                cells = self._cells
                if self._column > len(cells):
                    cells.extend(repeat("", self._column - 1 - len(cells)))
                    cells.append(value)
                else:  # written out of order
                    cells[self._column - 1] = value
        elif local in ("v", "t"):
            self._collect = False
        elif local == "row":
            self._inside = _OUTSIDE
            self._done.append((self.last_row, self._cells))
            self.bytes_read = self._parser.CurrentByteIndex
        elif local == "rPh":
            self._phonetic -= 1

    def _chars(self, data: str) -> None:
        if self._collect:
            self._length += len(data)
            if self._length > MAX_CELL_CHARS:
                raise self._too_long()
            self._text.append(data)

    def _value(self) -> str:
        text = "".join(self._text)
        kind = self._kind
        if kind == "s":
            value = self.strings(_int(text))
            if value is None:
                raise self._too_long()
            return value
        if kind in ("inlineStr", "str", "e") or not text:
            return text
        if kind == "b":
            return str(text.strip() not in ("0", "false"))
        try:
            if kind == "d":
                return _cell_text(from_ISO8601(text))
            number = float(text) if any(c in text for c in ".eE") else int(text)
            if self._style in self.dates:
                duration = self._style in self.durations
                return _cell_text(from_excel(number, self.epoch, timedelta=duration))
        except (ValueError, OverflowError):
            return text
        return _cell_text(number)

    def _cell_name(self) -> str:
        return f"{get_column_letter(min(self._column, 18278))}{self.last_row}"

    def _too_long(self) -> FileRejected:
        return FileRejected(
            _(
                "Cell %(cell)s holds more than %(max)s characters: a contact file "
                "holds names, numbers and short codes."
            )
            % {"cell": self._cell_name(), "max": f"{MAX_CELL_CHARS:,}"}
        )


def _dimension_rows(ref: str) -> int | None:
    """The last row of a range such as "A1:E1200" (None if it does not parse)."""
    last = ref.rpartition(":")[2].lstrip("$").lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$")
    return int(last) if ascii_digits(last) else None


def _column(ref: str) -> int:
    """The column of a cell reference ("C12" -> 3)."""
    letters = ref.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None:
        try:
            column = column_index_from_string(letters)
        except ValueError:
            raise _Damaged(f"cell {ref}") from None
    return column


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise _Damaged(f"number {text!r}") from None


# expat ----------------------------------------------------------------------------


def _local(tag: str) -> str:
    """The tag without its namespace: prefixes and strict OOXML read alike."""
    return tag.rpartition(" ")[2]


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_LOCAL = {f"{_MAIN}{name}": name for name in ("c", "v", "is", "t", "r", "row", "f")}
_COLUMNS = {get_column_letter(n): n for n in range(1, MAX_COLUMNS + 2)}


def _parser(
    *,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = _no_doctype
    return parser


def _no_doctype(*args: object) -> None:
    raise _Damaged("a DOCTYPE (entities are refused)")


def _parse(parser: expat.XMLParserType, data: bytes, *, final: bool = False) -> None:
    try:
        parser.Parse(data, final)
    except expat.ExpatError as exc:
        raise _Damaged(str(exc)) from exc


def _feed(parser: expat.XMLParserType, stream: IO[bytes]) -> None:
    while chunk := stream.read(_CHUNK):
        _parse(parser, chunk)
    _parse(parser, b"", final=True)


def _feed_bytes(parser: expat.XMLParserType, data: bytes) -> None:
    _parse(parser, data, final=True)


# What zipfile and zlib raise on a corrupt archive (a bad offset is a ValueError).
_UNREADABLE = (
    _Damaged,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    OverflowError,
    NotImplementedError,
)


@contextmanager
def _guarded() -> Iterator[None]:
    """Turn a damaged part (or a zip read error) into the user's refusal."""
    try:
        yield
    except _UNREADABLE as exc:
        logger.info("Unreadable workbook: %s", exc)
        raise FileRejected(
            _(
                "The workbook could not be read (it looks damaged). Open it in "
                "Excel and save it again, or save it as CSV."
            )
        ) from exc
