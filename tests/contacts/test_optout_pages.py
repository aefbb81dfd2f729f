"""The opt-outs page: add, search, remove and import a file of numbers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from contacts.models import OptOut
from tests.contacts.conftest import upload, xlsx

pytestmark = pytest.mark.smoke

URL = "/contacts/opt-outs/"


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_add_a_number_typed_any_way(client_logged, account, user):
    response = client_logged.post(
        URL, {"phone": "333 123 4567", "note": "Asked by phone"}
    )
    assert response.url == URL
    optout = OptOut.objects.get(account=account)
    assert (optout.phone, optout.source, optout.note, optout.created_by) == (
        "+393331234567",
        "manual",
        "Asked by phone",
        user,
    )
    page = _text(client_logged.get(URL))
    assert "+393331234567 will not receive campaigns any more." in page
    assert "+393331234567 Manual Asked by phone" in page


def test_an_invalid_number_is_refused_inline(client_logged, account):
    response = client_logged.post(URL, {"phone": "123"})
    assert response.status_code == 422
    assert "123 is not a valid number: it is too short for a phone number." in _text(
        response
    )
    assert not OptOut.objects.exists()


def test_search_and_remove(client_logged, account, other_account):
    OptOut.objects.create(account=account, phone="+393331234567")
    keep = OptOut.objects.create(account=account, phone="+393201112222")
    OptOut.objects.create(account=other_account, phone="+393409999999")
    page = _text(client_logged.get(URL))
    assert "+393409999999" not in page
    found = client_logged.get(f"{URL}?q=333 123", headers={"HX-Request": "true"})
    assert found.content.decode().lstrip().startswith('<section id="optout-table"')
    assert "+393331234567" in _text(found)
    assert "+393201112222" not in _text(found)
    removed = OptOut.objects.get(phone="+393331234567")
    response = client_logged.post(reverse("contacts:optout_delete", args=[removed.pk]))
    assert response.url == URL
    assert list(OptOut.objects.filter(account=account)) == [keep]


def test_import_a_file_of_numbers(client_logged, account):
    OptOut.objects.create(account=account, phone="+393331234567")
    content = (
        "numero\n333 1234567\n+39 320 111 2222\n3201112222\nnope\n\n06 1234 5678\n"
    )
    response = client_logged.post(
        reverse("contacts:optouts_import"), {"file": upload(content), "region": "IT"}
    )
    assert response.url == URL
    assert set(OptOut.objects.values_list("phone", "source")) == {
        ("+393331234567", "manual"),
        ("+393201112222", "import"),
        ("+390612345678", "import"),
    }
    page = _text(client_logged.get(URL))
    assert "2 numbers opted out, 1 already were, 1 rows without a valid number." in page


def test_import_an_xlsx_without_header(client_logged, account):
    content = xlsx([[3331234567], [3201112222]])
    client_logged.post(
        reverse("contacts:optouts_import"),
        {"file": upload(content, "stop.xlsx"), "region": "IT"},
    )
    assert OptOut.objects.filter(account=account).count() == 2


def test_import_of_a_bad_file_says_why(client_logged, account):
    response = client_logged.post(
        reverse("contacts:optouts_import"),
        {"file": upload(b"\x00\x01" * 50), "region": "IT"},
    )
    assert response.status_code == 422
    assert "it looks like binary data" in _text(response)
