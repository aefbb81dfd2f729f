"""A stored control character no longer breaks an XLSX export (IllegalCharacterError).

XML 1.0 cannot hold most C0 controls, so openpyxl refuses them; the XLSX cell
drops them, the CSV keeps the value as stored.
"""

from __future__ import annotations

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from contacts.services import NewContact, contact_list_create, contacts_add


def _bell_list(account):
    contact_list = contact_list_create(account=account, name="Bell")
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("3331234567", "\u0007bell", "Ro\x1bssi", {"code": "a\x0bb"})],
        default_region="IT",
    )
    return contact_list


def test_the_xlsx_export_drops_illegal_characters(client_logged, account):
    contact_list = _bell_list(account)
    response = client_logged.get(
        reverse("contacts:list_export_xlsx", args=[contact_list.pk])
    )
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    row = [cell.value for cell in list(sheet.iter_rows())[1]]
    assert row[7:] == ["bell", "Rossi", "ab"]


def test_the_csv_export_keeps_them(client_logged, account):
    contact_list = _bell_list(account)
    response = client_logged.get(
        reverse("contacts:list_export", args=[contact_list.pk])
    )
    lines = b"".join(response.streaming_content).decode().split("\r\n")
    assert lines[1].endswith(",\u0007bell,Ro\x1bssi,a\x0bb")  # \x0b ends no line
