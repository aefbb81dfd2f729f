"""Hostile workbooks are refused with a reason, from the zip directory or the sheet's head.

Each workbook is written by hand with zipfile, the way an attacker (or a broken
exporter) would. The request must refuse it without expanding it: a 400 over
the API, the form error on the page, and nothing stored.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from contacts.models import Contact, ContactImport, ContactList
from contacts.services import NewContact, contact_list_create, contacts_add
from tests.contacts.conftest import cell_rows, upload, workbook

V1 = "/api/partner-gateway/v1"
DAMAGED = (
    "The workbook could not be read (it looks damaged). Open it in Excel and "
    "save it again, or save it as CSV."
)


@pytest.fixture
def contact_list(account) -> ContactList:
    return contact_list_create(account=account, name="Clienti")


def _post(api, contact_list, content: bytes):
    url = f"{V1}/contact-lists/{contact_list.pk}/import"
    data = {"file": upload(content, "clienti.xlsx")}
    return api.client.post(url, data, headers={"X-Api-Key": api.key})


def _refused(api, contact_list, content: bytes) -> str:
    """The API's refusal message, after checking it is a 400 and nothing was kept."""
    response = _post(api, contact_list, content)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == "fail"
    assert not ContactImport.objects.exists()
    return body["data"]["file"]


def _packed(content: bytes, part: str) -> str:
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    ratio = int(info.file_size / info.compress_size)
    return (
        f"The workbook is packed {ratio:,} to 1, which no spreadsheet is. "
        "Save it again from Excel, or as CSV."
    )


def _stored(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def _phones(count: int) -> list[list[str]]:
    return [[f"333{n:07d}", f"Nome {n}"] for n in range(count)]


def test_millions_of_shared_strings_are_refused_unread(api, contact_list, settings):
    strings = b"<si><t>x</t></si>" * 2_000_000
    rows = '<row r="1"><c r="A1" t="s"><v>1999999</v></c></row>'
    content = workbook(rows, strings=strings)
    assert len(content) < 200_000
    message = _refused(api, contact_list, content)
    assert message == _packed(content, "xl/sharedStrings.xml")
    assert _stored(settings) == []


def test_a_row_of_millions_of_cells_is_refused_on_the_page(
    client_logged, account, settings
):
    content = workbook('<row r="1">' + "<c><v>1</v></c>" * 3_000_000 + "</row>")
    response = client_logged.post(
        reverse("contacts:upload"),
        {"file": upload(content, "clienti.xlsx"), "region": "IT"},
    )
    assert response.status_code == 422
    assert _packed(content, "xl/worksheets/sheet1.xml") in response.content.decode()
    assert not ContactImport.objects.exists()
    assert not ContactList.objects.exists()
    assert _stored(settings) == []


def test_a_sheet_claiming_too_many_rows_is_refused_at_upload(
    api, contact_list, settings
):
    settings.CONTACT_UPLOAD_MAX_ROWS = 100
    content = workbook(
        cell_rows([["Cellulare", "Nome"], *_phones(150)]),
        before_data='<dimension ref="A1:B151"/>',
    )
    assert _refused(api, contact_list, content) == (
        "The file has more than 100 rows; split it into smaller files."
    )


def test_too_many_rows_the_sheet_does_not_admit_fail_the_import(
    api, contact_list, settings, eager_tasks, django_capture_on_commit_callbacks
):
    """The request reads only the sheet's head; the import counts every row."""
    settings.CONTACT_UPLOAD_MAX_ROWS = 100
    content = workbook(
        cell_rows([["Cellulare", "Nome"], *_phones(150)]),
        before_data='<dimension ref="A1:B3"/>',
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, contact_list, content)
    assert response.status_code == 202
    contact_import = ContactImport.objects.get()
    assert (contact_import.status, contact_import.error) == (
        "FAILED",
        "The file has more than 100 rows; split it into smaller files.",
    )
    assert not Contact.objects.exists()


def test_a_value_past_column_200_is_refused(api, contact_list):
    content = workbook(cell_rows([["Cellulare", *["x"] * 200], ["3331234567"]]))
    assert _refused(api, contact_list, content) == (
        "Cell GS1 is past column GR: a contact file has 200 columns at most."
    )


def test_empty_styled_cells_far_right_are_no_columns(
    api, contact_list, eager_tasks, django_capture_on_commit_callbacks
):
    rows = cell_rows([["Cellulare", "Nome"], ["3331234567", "Anna"]])
    rows = rows.replace("</row>", '<c r="XFD1" s="1"/></row>', 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, contact_list, workbook(rows))
    assert response.status_code == 202
    assert contact_list.contacts.get().first_name == "Anna"


@pytest.mark.parametrize("shared", [False, True])
def test_a_cell_longer_than_1000_characters_is_refused(api, contact_list, shared):
    long = "a" * 1001
    if shared:
        rows = cell_rows([["Cellulare", "Nota"]]) + (
            '<row r="2"><c r="A2"><v>3331234567</v></c>'
            '<c r="B2" t="s"><v>0</v></c></row>'
        )
        content = workbook(rows, strings=[long])
    else:
        content = workbook(cell_rows([["Cellulare", "Nota"], ["3331234567", long]]))
    assert _refused(api, contact_list, content) == (
        "Cell B2 holds more than 1,000 characters: a contact file holds names, "
        "numbers and short codes."
    )


def test_shared_strings_bigger_than_an_upload_are_refused(api, contact_list, settings):
    settings.CONTACT_UPLOAD_MAX_BYTES = 100_000
    strings = [f"Cliente numero {n:06d}" for n in range(10_000)]
    content = workbook(cell_rows([["Cellulare"], ["3331234567"]]), strings=strings)
    assert len(content) < 100_000
    size = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/sharedStrings.xml")
    assert _refused(api, contact_list, content) == (
        f"The workbook's text table is {filesizeformat(size.file_size)}; the most "
        f"accepted is {filesizeformat(100_000)}. Save the contacts alone, or as CSV."
    )


def test_a_workbook_expanding_past_ten_uploads_is_refused(api, contact_list, settings):
    settings.CONTACT_UPLOAD_MAX_BYTES = 50_000
    filler = "".join(f"<p>{n % 3000}</p>" for n in range(60_000)).encode()
    content = workbook(
        cell_rows([["Cellulare"], ["3331234567"]]), extra={"docProps/x.xml": filler}
    )
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert len(content) < 50_000 < total / 10
    assert _refused(api, contact_list, content) == (
        f"The workbook expands to {filesizeformat(total)} of data; the most accepted "
        f"is {filesizeformat(500_000)}. Save the contacts alone, or as CSV."
    )


def test_a_zip_of_many_parts_is_refused_before_its_directory_is_read(api, contact_list):
    parts = {f"junk/{n}": b"" for n in range(10_001)}
    content = workbook(cell_rows([["Cellulare"], ["3331234567"]]), extra=parts)
    assert _refused(api, contact_list, content) == (
        "The workbook holds more than 10,000 parts; no spreadsheet does."
    )


@pytest.mark.parametrize(
    "rows",
    [
        cell_rows([["Cellulare"], ["3331234567"]])[:-20],  # cut short
        '<row r="2"><c><v>1</v></c></row><row r="1"><c><v>2</v></c></row>',
        '<row r="1"><c r="A1" t="s"><v>7</v></c></row>',  # no such string
        '<row r="1"><c><v>333<row/>1234567</v></c></row>',  # a row in a cell
    ],
)
def test_damaged_sheets_are_refused_not_a_500(api, contact_list, rows):
    assert _refused(api, contact_list, workbook(rows)) == DAMAGED


def test_parts_packed_other_than_deflate_are_refused(api, contact_list):
    """bzip2 would inflate a part in one call, whatever size it declares."""
    content = workbook(cell_rows([["Cellulare"], ["3331234567"]]))
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
    assert _refused(api, contact_list, buffer.getvalue()) == (
        "This is not an Excel (.xlsx) workbook or a CSV file."
    )


def test_encrypted_parts_are_refused(api, contact_list):
    content = bytearray(workbook(cell_rows([["Cellulare"], ["3331234567"]])))
    # zipfile cannot encrypt: set the "encrypted" flag of the first directory entry.
    content[content.index(b"PK\x01\x02") + 8] |= 0x1
    assert _refused(api, contact_list, bytes(content)) == (
        "This is not an Excel (.xlsx) workbook or a CSV file."
    )


def test_entities_are_refused(api, contact_list):
    content = workbook(cell_rows([["Cellulare"], ["3331234567"]]))
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("sheet1.xml"):
                data = b'<!DOCTYPE w [<!ENTITY a "333">]>' + data
            target.writestr(name, data)
    assert _refused(api, contact_list, buffer.getvalue()) == DAMAGED


def test_a_bad_row_after_the_preview_fails_the_import_cleanly(
    api, contact_list, eager_tasks, django_capture_on_commit_callbacks
):
    # Past the first 64 KB of XML, which the upload check reads whole.
    rows = [["Cellulare", "Nome"], *_phones(2000), ["3470000000", "b" * 1001]]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, contact_list, workbook(cell_rows(rows)))
    assert response.status_code == 202
    contact_import = ContactImport.objects.get()
    assert (contact_import.status, contact_import.error) == (
        "FAILED",
        "Cell B2002 holds more than 1,000 characters: a contact file holds names, "
        "numbers and short codes.",
    )
    contact_list.refresh_from_db()
    assert (contact_list.total_count, contact_list.contacts.count()) == (0, 0)


def test_first_rows_using_the_last_shared_strings_are_read_right(
    client_logged, account, eager_tasks, django_capture_on_commit_callbacks
):
    """Exporters writing column by column put a first row's strings at the end."""
    names = [f"Cliente {n}" for n in range(20_000)]
    strings = [*names, "Cellulare", "Nome", "3331234567", "Anna"]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>20000</v></c><c r="B1" t="s"><v>20001</v></c>'
        '</row><row r="2"><c r="A2" t="s"><v>20002</v></c>'
        '<c r="B2" t="s"><v>20003</v></c></row>'
    )
    response = client_logged.post(
        reverse("contacts:upload"),
        {"file": upload(workbook(rows, strings=strings), "x.xlsx"), "region": "IT"},
    )
    assert response.status_code == 302
    page = re.sub(
        r"\s+",
        " ",
        re.sub(r"<[^>]+>", " ", client_logged.get(response.url).content.decode()),
    )
    assert "3331234567 Anna" in page
    with django_capture_on_commit_callbacks(execute=True):
        client_logged.post(
            response.url, {"header": "on", "col_0": "phone", "col_1": "first_name"}
        )
    contact = Contact.objects.get()
    assert (contact.phone, contact.first_name) == ("+393331234567", "Anna")


def test_a_sheet_longer_than_it_claims_into_a_list_with_keepers(
    api, contact_list, eager_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    """A "small" file that is not is checked against the list's keepers all the same."""
    monkeypatch.setattr("contacts.importing.SMALL_FILE_ROWS", 5)
    monkeypatch.setattr("contacts.rows.BATCH_ROWS", 4)
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("+393330000003", "Maria"), NewContact("+393330000011", "")],
        default_region="IT",
    )
    content = workbook(
        cell_rows([["Cellulare", "Nome"], *_phones(12)]),
        before_data='<dimension ref="A1:B3"/>',
    )
    with django_capture_on_commit_callbacks(execute=True):
        _post(api, contact_list, content)
    contact_import = ContactImport.objects.get()
    assert contact_import.status == "COMPLETED", contact_import.error
    assert (contact_import.valid_rows, contact_import.duplicate_rows) == (10, 2)
    duplicates = contact_list.contacts.filter(status="duplicate")
    assert sorted(duplicates.values_list("phone", flat=True)) == [
        "+393330000003",
        "+393330000011",
    ]
