"""Contact fixtures: a private MEDIA_ROOT, eager Celery, files as marketers send them."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from accounts.models import Account
from config.celery import app as celery_app
from contacts.importing import contact_import_create
from contacts.models import ContactImport, ContactList
from contacts.services import contact_list_create

# Semicolons, a BOM, Italian headers, national and international numbers, a blank
# phone, a blank line, repeats of row 2, a malformed number, a row with one cell
# too many and a row with cells missing. Row numbers are the spreadsheet's.
MESSY_CSV = (
    "\ufeffTelefono;Nome;Cognome;Codice\r\n"  # 1
    "333 123 4567;Mario;Rossi;SC001\r\n"  # 2  valid +393331234567
    "+39 347 765 4321;Giulia;Bianchi;SC002\r\n"  # 3  valid +393477654321
    "0039 320 111 2222;Luca;Verdi;SC003\r\n"  # 4  valid +393201112222
    ";Anna;Neri;SC004\r\n"  # 5  invalid: empty
    "3331234567;Mario;Rossi bis;SC005\r\n"  # 6  duplicate of row 2
    "12345;Paolo;Gialli;SC006\r\n"  # 7  invalid: too short
    "\r\n"  # 8  blank line: not a row
    "+44 7400 123456;John;Smith;SC007\r\n"  # 9  valid +447400123456
    "+39 333 123 4567;Mario;Rossi;SC008\r\n"  # 10 duplicate of row 2
    "340 000 0000;Sara;Blu;SC009;extra\r\n"  # 11 invalid: extra cell
    "339 999 8888;Ugo\r\n"  # 12 valid +393399998888, padded
)
MESSY_SUMMARY = {"total": 10, "valid": 5, "invalid": 3, "duplicate": 2}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Services called outside a request speak the active language: pin it."""
    with translation.override("en"):
        yield


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in-process (the real-worker test covers the broker)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def upload(content: str | bytes, name: str = "contacts.csv", encoding: str = "utf-8"):
    """An uploaded file as Django hands it to views."""
    data = content.encode(encoding) if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx(rows: list[list[object]]) -> bytes:
    """An Excel workbook with `rows` on its first sheet."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_BOOK_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
        '<sheet name="Contatti" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}


def workbook(
    rows: str | bytes,
    *,
    strings: list[str] | bytes = (),
    before_data: str = "",
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A workbook written by hand, part by part, as no spreadsheet program would.

    `rows` is the XML inside <sheetData>; `strings` the shared strings (or the
    whole <si> elements as bytes); `before_data` goes before <sheetData> (a
    <dimension>, say); `extra` adds parts.
    """
    if isinstance(strings, bytes):
        items = strings
    else:
        items = "".join(f"<si><t>{text}</t></si>" for text in strings).encode()
    rows = rows.encode() if isinstance(rows, str) else rows
    sheet = (
        f'<worksheet xmlns="{_MAIN}">{before_data}<sheetData>'.encode()
        + rows
        + b"</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, text in _BOOK_PARTS.items():
            target.writestr(name, text)
        target.writestr("xl/worksheets/sheet1.xml", sheet)
        target.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{_MAIN}">'.encode() + items + b"</sst>",
        )
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def cell_rows(rows: list[list[str]]) -> str:
    """<row> elements with inline-string cells, numbered from 1."""
    return "".join(
        f'<row r="{number}">'
        + "".join(f'<c t="inlineStr"><is><t>{cell}</t></is></c>' for cell in cells)
        + "</row>"
        for number, cells in enumerate(rows, start=1)
    )


def with_dimension(content: bytes, ref: str) -> bytes:
    """The workbook with its first sheet's <dimension> claiming the range `ref`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data
                )
            target.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def contact_list(account: Account) -> ContactList:
    return contact_list_create(account=account, name="Clienti")


ImportFile = Callable[..., ContactImport]


@pytest.fixture
def import_file(
    account: Account,
    contact_list: ContactList,
    eager_tasks,
    django_capture_on_commit_callbacks,
) -> ImportFile:
    """Upload a file into `contact_list` and run the import to its end."""

    def run(
        content: str | bytes,
        name: str = "contacts.csv",
        *,
        encoding: str = "utf-8",
        region: str = "IT",
        into: ContactList | None = None,
    ) -> ContactImport:
        with django_capture_on_commit_callbacks(execute=True):
            contact_import = contact_import_create(
                account=account,
                contact_list=into or contact_list,
                upload=upload(content, name, encoding),
                default_region=region,
                start=True,
            )
        return ContactImport.objects.get(pk=contact_import.pk)

    return run
