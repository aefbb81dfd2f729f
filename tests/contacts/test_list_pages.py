"""List pages: the index, one list's contacts with search and keyset pages, deletions."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from contacts.models import Contact, ContactList, OptOut
from contacts.optouts import optout_add
from contacts.services import NewContact, contact_list_create, contacts_add

pytestmark = pytest.mark.smoke


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def big_list(account) -> ContactList:
    """120 valid numbers, then one invalid row and one duplicate."""
    contact_list = contact_list_create(account=account, name="Clienti")
    rows = [NewContact(f"33300{i:05d}", f"Nome{i}", "Rossi") for i in range(120)]
    rows += [NewContact("n/a", "Senza", "Numero"), NewContact("+39 333 000 0007")]
    contacts_add(contact_list=contact_list, rows=rows, default_region="IT")
    return contact_list


def test_index_shows_lists_with_counts(client_logged, big_list, other_account):
    ContactList.objects.create(account=other_account, name="Theirs")
    text = _text(client_logged.get(reverse("contacts:lists")))
    assert "Clienti 122 120 1 1" in text
    assert "Theirs" not in text


def test_create_list_then_go_to_upload(client_logged, account):
    response = client_logged.post(reverse("contacts:lists"), {"name": "Nuova"})
    contact_list = ContactList.objects.get(account=account)
    assert response.url == f"{reverse('contacts:upload')}?list={contact_list.pk}"
    page = client_logged.get(response.url).content.decode()
    assert f'<option value="{contact_list.pk}" selected>Nuova</option>' in page


def test_create_list_without_name_shows_the_error_inline(client_logged):
    response = client_logged.post(
        reverse("contacts:lists"), {"name": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<section id="new-list"')
    assert "This field is required." in _text(response)


def test_detail_pages_through_the_list_by_key(client_logged, big_list):
    url = reverse("contacts:list", args=[big_list.pk])
    first = client_logged.get(url)
    assert first.status_code == 200
    ids = list(big_list.contacts.order_by("pk").values_list("pk", flat=True))
    page = first.content.decode()
    assert f"after={ids[49]}" in page
    assert "+393330000000" in page
    assert "+393330000049" in page
    assert "+393330000050" not in page
    assert "« First" not in _text(first)

    second = client_logged.get(f"{url}?after={ids[49]}").content.decode()
    assert "+393330000050" in second
    assert "+393330000099" in second
    assert f"before={ids[50]}" in second

    last = _text(client_logged.get(f"{url}?last=1"))
    assert "n/a" in last
    assert "+393330000072" in last
    assert "Next →" not in last

    back = client_logged.get(f"{url}?before={ids[50]}").content.decode()
    assert "+393330000000" in back
    assert "+393330000049" in back


def test_detail_page_costs_a_fixed_number_of_queries(
    client_logged, big_list, django_assert_max_num_queries
):
    url = reverse("contacts:list", args=[big_list.pk])
    client_logged.get(url)  # warm the session
    with django_assert_max_num_queries(10):
        client_logged.get(f"{url}?after={big_list.contacts.order_by('pk')[60].pk}")


def test_status_tabs_and_search(client_logged, big_list, account):
    url = reverse("contacts:list", args=[big_list.pk])
    invalid = _text(client_logged.get(f"{url}?status=invalid"))
    assert "Invalid Does not look like a phone number" in invalid
    assert "+393330000001" not in invalid
    duplicate = _text(client_logged.get(f"{url}?status=duplicate"))
    assert "+39 333 000 0007" in duplicate
    by_number = _text(client_logged.get(f"{url}?q=333 000 0007"))
    assert by_number.count("+393330000007") == 2  # the keeper and its copy
    by_name = _text(client_logged.get(f"{url}?q=nome11"))
    assert "+393330000011" in by_name
    assert "+393330000110" in by_name
    assert "+393330000012" not in by_name
    many = client_logged.get(f"{url}?q=rossi&status=valid").content.decode()
    assert "?status=valid&amp;q=rossi&amp;after=" in many  # the pager keeps filters
    partial = client_logged.get(f"{url}?q=senza", headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section id="contacts-table"')


def test_opted_out_numbers_are_flagged_and_counted(client_logged, big_list, account):
    OptOut.objects.create(account=account, phone="+393330000003")
    text = _text(client_logged.get(reverse("contacts:list", args=[big_list.pk])))
    assert "Opted out 1" in text
    assert "+393330000003 3330000003 Opted out" in text


def test_deleting_a_keeper_promotes_its_copy(client_logged, big_list):
    keeper = big_list.contacts.get(phone="+393330000007", status="valid")
    url = reverse("contacts:list", args=[big_list.pk])
    response = client_logged.post(
        reverse("contacts:contact_delete", args=[keeper.pk]),
        {"next": f"{url}?status=duplicate"},
    )
    assert response.url == f"{url}?status=duplicate"
    assert big_list.contacts.get(phone="+393330000007").status == "valid"
    big_list.refresh_from_db()
    assert (
        big_list.total_count,
        big_list.valid_count,
        big_list.duplicate_count,
    ) == (121, 120, 0)


def test_deleting_an_invalid_row_updates_the_counts(client_logged, big_list):
    bad = big_list.contacts.get(status="invalid")
    client_logged.post(reverse("contacts:contact_delete", args=[bad.pk]))
    big_list.refresh_from_db()
    assert (big_list.total_count, big_list.invalid_count) == (121, 0)


def test_delete_list(client_logged, big_list):
    response = client_logged.post(reverse("contacts:list_delete", args=[big_list.pk]))
    assert response.url == reverse("contacts:lists")
    assert not ContactList.objects.exists()
    assert not Contact.objects.exists()


def test_export_streams_csv_with_formulas_neutralised(client_logged, account):
    contact_list = contact_list_create(account=account, name="Export me")
    contacts_add(
        contact_list=contact_list,
        rows=[
            NewContact(
                "3331234567", '=HYPERLINK("http://x")', "@Rossi", {"code": "-5"}
            ),
            NewContact("=1+1", "Anna", "Neri", {"code": "ok"}),
        ],
        default_region="IT",
    )
    response = client_logged.get(
        reverse("contacts:list_export", args=[contact_list.pk])
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="export-me.csv"'
    assert b"".join(response.streaming_content).decode().splitlines() == [
        "\ufeffphone,phone as given,status,reason,country,number type,opted out,"
        "first name,last name,code",
        '+393331234567,3331234567,valid,,IT,mobile,no,"\'=HYPERLINK(""http://x"")",'
        "'@Rossi,'-5",
        ",'=1+1,invalid,not_a_number,,,no,Anna,Neri,ok",
    ]


def test_export_one_status(client_logged, big_list):
    url = reverse("contacts:list_export", args=[big_list.pk])
    lines = b"".join(client_logged.get(f"{url}?status=invalid").streaming_content)
    assert lines.decode().splitlines()[1:] == [
        ",n/a,invalid,not_a_number,,,no,Senza,Numero"
    ]


def test_export_xlsx_keeps_every_value_as_text(client_logged, account):
    """E.164 with its plus, a formula as plain text, the opted-out flag: all text cells."""
    contact_list = contact_list_create(account=account, name="Export me")
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("3331234567", "=1+1", "Rossi", {"code": "007"})],
        default_region="IT",
    )
    optout_add(account=account, phone="+393331234567", region="IT")
    response = client_logged.get(
        reverse("contacts:list_export_xlsx", args=[contact_list.pk])
    )
    assert response["Content-Disposition"] == 'attachment; filename="export-me.xlsx"'
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]][6] == "opted out"
    values = [c.value for c in rows[1]]
    assert values[:7] == [
        "+393331234567",
        "3331234567",
        "valid",
        None,  # an empty text cell reads back as None
        "IT",
        "mobile",
        "yes",
    ]
    assert values[7:] == ["=1+1", "Rossi", "007"]
    assert {c.data_type for c in rows[1] if c.value is not None} == {"s"}


def test_country_names_come_from_cldr():
    """Babel's CLDR names, in the user's language."""
    from django.utils import translation

    from contacts.regions import country_name, region_choices

    assert country_name("SB", "it") == "Isole Salomone"
    assert country_name("AC", "it") == "Isola Ascensione"
    with translation.override("it"):
        assert ("SB", "Isole Salomone (+677)") in region_choices()
