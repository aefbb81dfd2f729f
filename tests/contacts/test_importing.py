"""File imports end to end through the service: every row kept, flagged, counted."""

from __future__ import annotations

import pytest

from contacts.exporting import error_report_response
from contacts.importing import contact_import_create, contact_import_run
from contacts.models import Contact, ContactImport, OptOut
from contacts.optouts import optout_add
from contacts.services import NewContact, contacts_add
from tests.contacts.conftest import (
    MESSY_CSV,
    MESSY_SUMMARY,
    upload,
    with_dimension,
    xlsx,
)

COMPLETED = ContactImport.Status.COMPLETED


def _summary(contact_import: ContactImport) -> dict[str, int]:
    return {
        "total": contact_import.total_rows,
        "valid": contact_import.valid_rows,
        "invalid": contact_import.invalid_rows,
        "duplicate": contact_import.duplicate_rows,
    }


def _report(contact_import: ContactImport) -> str:
    response = error_report_response(contact_import)
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.smoke
def test_messy_csv_gives_the_exact_summary_and_keeps_every_row(
    import_file, contact_list
):
    contact_import = import_file(MESSY_CSV)
    assert contact_import.status == COMPLETED, contact_import.error
    assert _summary(contact_import) == MESSY_SUMMARY
    rows = list(
        contact_list.contacts.order_by("pk").values_list(
            "row_number", "raw_phone", "phone", "status", "reason"
        )
    )
    assert rows == [
        (2, "333 123 4567", "+393331234567", "valid", ""),
        (3, "+39 347 765 4321", "+393477654321", "valid", ""),
        (4, "0039 320 111 2222", "+393201112222", "valid", ""),
        (5, "", "", "invalid", "empty"),
        (6, "3331234567", "+393331234567", "duplicate", "duplicate"),
        (7, "12345", "", "invalid", "too_short"),
        (9, "+44 7400 123456", "+447400123456", "valid", ""),
        (10, "+39 333 123 4567", "+393331234567", "duplicate", "duplicate"),
        (11, "340 000 0000", "", "invalid", "extra_columns"),
        (12, "339 999 8888", "+393399998888", "valid", ""),
    ]
    contact_list.refresh_from_db()
    assert (
        contact_list.total_count,
        contact_list.valid_count,
        contact_list.invalid_count,
        contact_list.duplicate_count,
    ) == (10, 5, 3, 2)
    assert contact_list.attribute_keys == ["codice"]


@pytest.mark.smoke
def test_names_attributes_country_and_type_are_stored(import_file, contact_list):
    import_file(MESSY_CSV)
    mario = contact_list.contacts.get(row_number=2)
    assert (mario.first_name, mario.last_name, mario.attributes) == (
        "Mario",
        "Rossi",
        {"codice": "SC001"},
    )
    assert (mario.country, mario.number_type, mario.source) == (
        "IT",
        "mobile",
        "import",
    )
    john = contact_list.contacts.get(row_number=9)
    assert john.country == "GB"
    ugo = contact_list.contacts.get(row_number=12)
    assert (ugo.first_name, ugo.last_name, ugo.attributes) == (
        "Ugo",
        "",
        {"codice": ""},
    )


@pytest.mark.smoke
def test_error_report_lists_rejected_rows_with_reasons(import_file):
    contact_import = import_file(MESSY_CSV)
    assert _report(contact_import).splitlines() == [
        "\ufeffrow,value,reason,opted out,first name,last name",
        "5,,No phone number given,no,Anna,Neri",
        "6,3331234567,Duplicate of row 2,no,Mario,Rossi bis",
        "7,12345,Too short for a phone number,no,Paolo,Gialli",
        "10,'+39 333 123 4567,Duplicate of row 2,no,Mario,Rossi",
        "11,340 000 0000,More cells than the header has columns,no,Sara,Blu",
    ]


def test_error_report_lists_opted_out_rows(import_file, account):
    """A valid number campaigns will skip is in the report, flagged, with why."""
    optout_add(account=account, phone="+393331234567", region="IT")
    contact_import = import_file(MESSY_CSV)
    opted = [line for line in _report(contact_import).splitlines() if ",yes," in line]
    assert opted[0].startswith("2,")
    assert ",Opted out or blacklisted,yes," in opted[0]


@pytest.mark.smoke
def test_same_file_twice_flags_the_second_copy_as_duplicates(import_file, contact_list):
    first = import_file(MESSY_CSV)
    second = import_file(MESSY_CSV)
    assert _summary(first) == MESSY_SUMMARY
    assert _summary(second) == {"total": 10, "valid": 0, "invalid": 3, "duplicate": 7}
    assert contact_list.contacts.count() == 20
    assert contact_list.contacts.filter(status="valid").count() == 5
    assert set(
        contact_list.contacts.filter(status="valid").values_list(
            "contact_import", flat=True
        )
    ) == {first.pk}
    assert "6,3331234567,Already in the list,no,Mario,Rossi bis" in _report(second)


def test_a_number_added_over_the_api_stays_the_keeper(import_file, contact_list):
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("+393331234567", "Maria")],
        default_region="IT",
    )
    contact_import = import_file(MESSY_CSV)
    assert contact_import.valid_rows == 4
    assert contact_import.duplicate_rows == 3
    keeper = contact_list.contacts.get(status="valid", phone="+393331234567")
    assert keeper.first_name == "Maria"


def test_opted_out_and_blacklisted_valid_rows_are_counted_and_kept(
    import_file, account, contact_list
):
    from contacts.models import BlacklistEntry

    OptOut.objects.create(account=account, phone="+393477654321")
    BlacklistEntry.objects.create(phone="+447400123456")
    OptOut.objects.create(account=account, phone="+390000000000")  # not in file
    contact_import = import_file(MESSY_CSV)
    assert contact_import.opted_out_rows == 2
    assert contact_import.valid_rows == 5
    assert contact_list.contacts.filter(phone="+393477654321", status="valid").exists()


def test_another_accounts_opt_out_does_not_count(import_file, other_account):
    OptOut.objects.create(account=other_account, phone="+393477654321")
    assert import_file(MESSY_CSV).opted_out_rows == 0


def test_windows_1252_file_with_accents(import_file, contact_list):
    text = "cellulare,nome,città\n3331234567,Niccolò,Forlì\n"
    contact_import = import_file(text, encoding="cp1252")
    assert contact_import.status == COMPLETED, contact_import.error
    assert contact_import.encoding == "cp1252"
    contact = contact_list.contacts.get()
    assert (contact.first_name, contact.attributes) == ("Niccolò", {"citta": "Forlì"})


def test_utf16_tab_separated_excel_unicode_text(import_file, contact_list):
    text = "Mobile\tFirst name\tLast name\n+39 333 1234567\tJosé\tNuñez\n"
    contact_import = import_file(text, encoding="utf-16")
    assert (contact_import.status, contact_import.delimiter) == (COMPLETED, "\t")
    assert contact_list.contacts.get().last_name == "Nuñez"


@pytest.mark.smoke
def test_xlsx_with_numbers_stored_as_numbers(import_file, contact_list):
    content = xlsx(
        [
            ["Phone", "First Name", "Surname", "Discount code"],
            [3331234567, "Anna", "Neri", "A1"],
            ["+39 320 111 2222", "Bruno", "Blu", 15],
            [393401112233.0, "Carla", "Rosa", None],
            [None, "Dario", "Viola", "D4"],
        ]
    )
    contact_import = import_file(content, "clienti.xlsx")
    assert contact_import.file_format == "xlsx"
    assert _summary(contact_import) == {
        "total": 4,
        "valid": 3,
        "invalid": 1,
        "duplicate": 0,
    }
    assert list(
        contact_list.contacts.order_by("pk").values_list("phone", "attributes")
    ) == [
        ("+393331234567", {"discount_code": "A1"}),
        ("+393201112222", {"discount_code": "15"}),
        ("+393401112233", {"discount_code": ""}),
        ("", {"discount_code": "D4"}),
    ]


def test_xlsx_rows_past_a_lying_dimension_are_imported(import_file, contact_list):
    """The sheet's <dimension> is only a claim: every row in it is read."""
    rows = [["Phone", "Name"], *([f"33312345{i:02d}", f"N{i}"] for i in range(9))]
    content = with_dimension(xlsx(rows), "A1:B3")
    contact_import = import_file(content, "clienti.xlsx")
    assert (contact_import.status, contact_import.total_rows) == (COMPLETED, 9)
    assert contact_list.contacts.filter(status="valid").count() == 9
    assert contact_list.contacts.order_by("pk").last().first_name == "N8"


def test_file_without_header_is_read_from_its_first_row(import_file, contact_list):
    contact_import = import_file("3331234567,Anna\n+39 320 111 2222,Bruno\n")
    assert contact_import.mapping["header"] is False
    assert contact_import.valid_rows == 2
    contact_list.refresh_from_db()
    assert contact_list.attribute_keys == ["column_2"]
    assert contact_list.contacts.get(row_number=1).attributes == {"column_2": "Anna"}


def test_default_region_reads_national_numbers(import_file, contact_list):
    contact_import = import_file("phone\n030 1234567\n", region="DE")
    assert contact_import.valid_rows == 1
    assert contact_list.contacts.get().phone == "+49301234567"


def test_import_runs_once_even_if_the_task_is_delivered_twice(
    import_file, contact_list
):
    contact_import = import_file(MESSY_CSV)
    contact_import_run(import_id=contact_import.pk)
    assert contact_list.contacts.count() == 10
    assert ContactImport.objects.get(pk=contact_import.pk).valid_rows == 5


def test_rows_over_the_limit_fail_the_import_and_leave_the_list_untouched(
    import_file, account, contact_list, settings
):
    import_file(MESSY_CSV)  # the list already holds ten rows
    settings.CONTACT_UPLOAD_MAX_ROWS = 30_000
    numbers = range(3_200_000_000, 3_200_025_000)
    contact_import = contact_import_create(
        account=account,
        contact_list=contact_list,
        upload=upload("phone\n" + "".join(f"{n}\n" for n in numbers)),
        default_region="IT",
        start=False,
    )
    # The limit shrinks after the upload check, so the worker meets it mid-file
    # with 20,000 rows already staged.
    settings.CONTACT_UPLOAD_MAX_ROWS = 20_000
    contact_import_run(import_id=contact_import.pk)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.FAILED
    assert contact_import.error == (
        "The file has more than 20,000 rows; split it into smaller files."
    )
    assert contact_list.contacts.count() == 10
    contact_list.refresh_from_db()
    assert (contact_list.total_count, contact_list.valid_count) == (10, 5)


def test_unreadable_row_mid_file_fails_cleanly(import_file, contact_list):
    lines = ["phone,note"] + [f"{n},ok" for n in range(3_300_000_000, 3_300_030_000)]
    lines[25_000] = "3331234567," + "x" * 200_000  # over the csv module's cell limit
    contact_import = import_file("\n".join(lines) + "\n")
    assert contact_import.status == ContactImport.Status.FAILED
    assert contact_import.error == (
        "Row 25001 could not be read (field larger than field limit (131072)). "
        "Nothing from this file was imported."
    )
    assert contact_list.contacts.count() == 0
    contact_list.refresh_from_db()
    assert contact_list.total_count == 0


def test_a_stray_nul_after_the_first_kilobytes_is_dropped(import_file, contact_list):
    """A NUL early in a file means binary; one stray NUL later is only noise."""
    filler = "".join(f"{n},x\n" for n in range(3_400_000_000, 3_400_001_000))
    contact_import = import_file(f"phone,name\n{filler}333 123\x004567,An\x00na\n")
    assert contact_import.status == COMPLETED, contact_import.error
    contact = contact_list.contacts.get(row_number=1002)
    assert (contact.phone, contact.raw_phone) == ("+393331234567", "333 1234567")
    assert contact.first_name == "Anna"


def test_one_import_holds_at_most_one_keeper_per_number(import_file, contact_list):
    text = "phone\n" + "333 123 4567\n" * 3 + "+393331234567\n"
    contact_import = import_file(text)
    assert (contact_import.valid_rows, contact_import.duplicate_rows) == (1, 3)
    assert contact_list.contacts.filter(status=Contact.Status.VALID).count() == 1


def test_a_big_file_into_a_list_with_keepers_checks_every_number(
    import_file, contact_list
):
    """Over SMALL_FILE_ROWS the list's keepers are loaded whole, not looked up."""
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("+393331234567"), NewContact("+393200000007")],
        default_region="IT",
    )
    numbers = [f"3{n}" for n in range(400_000_000, 400_060_000)]
    numbers[30_000] = "333 123 4567"
    contact_import = import_file("phone\n" + "\n".join(numbers) + "\n")
    assert _summary(contact_import) == {
        "total": 60_000,
        "valid": 59_999,
        "invalid": 0,
        "duplicate": 1,
    }
    assert contact_list.contacts.get(row_number=30_002).status == "duplicate"
    contact_list.refresh_from_db()
    assert (contact_list.valid_count, contact_list.duplicate_count) == (60_001, 1)
