"""The browser upload wizard: file, columns, progress, summary and error report."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from contacts.models import ContactImport, ContactList
from tests.contacts.conftest import MESSY_CSV, upload

pytestmark = pytest.mark.smoke


def _text(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def _upload(client, content, name="clienti.csv", **fields):
    data = {"file": upload(content, name), "region": "IT", **fields}
    return client.post(reverse("contacts:upload"), data)


def test_upload_page_offers_lists_and_the_account_country(client_logged, account):
    ContactList.objects.create(account=account, name="Clienti fedeli")
    response = client_logged.get(reverse("contacts:upload"))
    assert response.status_code == 200
    text = _text(response)
    assert "Clienti fedeli" in text
    assert "A new list" in text
    assert re.search(
        r'<option value="IT" selected>Italy \(\+39\)</option>',
        response.content.decode(),
    )


def test_full_flow_from_file_to_summary(
    client_logged, account, eager_tasks, django_capture_on_commit_callbacks
):
    response = _upload(client_logged, MESSY_CSV, new_list_name="Black Friday")
    contact_import = ContactImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("contacts:import_columns", args=[contact_import.pk])
    assert contact_import.contact_list.name == "Black Friday"
    assert (contact_import.status, contact_import.queued_at) == ("PENDING", None)

    columns = client_logged.get(response.url)
    page = _text(columns)
    assert "clienti.csv : about 11 rows." in page
    assert "333 123 4567 Mario Rossi SC001" in page
    assert "are read as numbers of Italy (+39)." in page
    html = columns.content.decode()
    assert re.search(
        r'name="col_0"[^>]*>.*?<option value="phone" selected>', html, re.S
    )
    assert re.search(
        r'name="col_3"[^>]*>.*?<option value="attribute" selected>', html, re.S
    )

    with django_capture_on_commit_callbacks(execute=True):
        started = client_logged.post(
            response.url,
            {
                "header": "on",
                "col_0": "phone",
                "col_1": "first_name",
                "col_2": "last_name",
                "col_3": "attribute",
            },
        )
    assert started.url == reverse("contacts:import", args=[contact_import.pk])

    summary = client_logged.get(started.url)
    text = _text(summary)
    assert "Rows read 10 Valid 5 Invalid 3 Duplicates 2 Opted out 0" in text
    assert "Download the error report" in text
    report = client_logged.get(
        reverse("contacts:import_errors", args=[contact_import.pk])
    )
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[0] == "\ufeffrow,value,reason,opted out,first name,last name"
    assert len(lines) == 6


def test_columns_can_be_remapped_and_skipped(
    client_logged, account, eager_tasks, django_capture_on_commit_callbacks
):
    _upload(client_logged, "numero,cliente,note\n3331234567,Anna,vip\n")
    contact_import = ContactImport.objects.get()
    url = reverse("contacts:import_columns", args=[contact_import.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client_logged.post(
            url,
            {"header": "on", "col_0": "phone", "col_1": "first_name", "col_2": "skip"},
        )
    contact = contact_import.contact_list.contacts.get()
    assert (contact.first_name, contact.attributes) == ("Anna", {})


def test_mapping_needs_exactly_one_phone_column(client_logged, account):
    _upload(client_logged, MESSY_CSV)
    contact_import = ContactImport.objects.get()
    url = reverse("contacts:import_columns", args=[contact_import.pk])
    response = client_logged.post(
        url,
        {
            "header": "on",
            "col_0": "attribute",
            "col_1": "first_name",
            "col_2": "last_name",
            "col_3": "attribute",
        },
    )
    assert response.status_code == 422
    assert "Choose exactly one column as the phone number." in _text(response)
    assert ContactImport.objects.get().queued_at is None


def test_starting_twice_queues_once(client_logged, account):
    _upload(client_logged, MESSY_CSV)
    contact_import = ContactImport.objects.get()
    url = reverse("contacts:import_columns", args=[contact_import.pk])
    data = {
        "header": "on",
        "col_0": "phone",
        "col_1": "first_name",
        "col_2": "last_name",
        "col_3": "attribute",
    }
    client_logged.post(url, data)
    queued_at = ContactImport.objects.get().queued_at
    second = client_logged.post(url, data)
    assert second.url == reverse("contacts:import", args=[contact_import.pk])
    assert ContactImport.objects.get().queued_at == queued_at


def test_progress_polls_until_done_then_stops_with_286(client_logged, account):
    _upload(client_logged, MESSY_CSV)
    contact_import = ContactImport.objects.get()
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status="RUNNING", queued_at="2026-11-23T10:00Z", processed_rows=5, total_rows=11
    )
    url = reverse("contacts:import", args=[contact_import.pk])
    running = client_logged.get(url, headers={"HX-Request": "true"})
    assert running.status_code == 200
    html = running.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="45"' in html
    assert "5 of about 11 rows" in _text(running)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status="FAILED",
        error="The file has more than 9 rows; split it into smaller files.",
    )
    failed = client_logged.get(url, headers={"HX-Request": "true"})
    assert failed.status_code == 286
    assert "hx-trigger" not in failed.content.decode()
    assert "The import failed. The file has more than 9 rows" in _text(failed)
    assert "the list is exactly as it was" in _text(failed)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The submitted file is empty."),
        (
            bytes(range(256)) * 8,
            "data.csv",
            "This is not a CSV or Excel file (it looks like binary data).",
        ),
        (
            "nome,email\nAnna,a@example.com\n",
            "names.csv",
            "No column holds phone numbers.",
        ),
        (
            "telefono;nome;cognome\r\n\r\n;;\r\n",
            "header.csv",
            "The file has no contacts, only a row of column names.",
        ),
    ],
)
def test_bad_files_are_refused_on_the_page_and_nothing_is_created(
    client_logged, account, content, name, message
):
    response = _upload(client_logged, content, name)
    assert response.status_code == 422
    assert message in _text(response)
    assert not ContactImport.objects.exists()
    assert not ContactList.objects.exists()  # the would-be new list too


def test_over_size_file_is_refused_on_the_page(client_logged, account, settings):
    settings.CONTACT_UPLOAD_MAX_BYTES = 50
    response = _upload(client_logged, MESSY_CSV)
    assert response.status_code == 422
    assert "the largest file accepted is 50 bytes" in _text(response).replace(
        "\xa0", " "
    )


def test_over_the_row_limit_is_refused_on_the_page(client_logged, account, settings):
    settings.CONTACT_UPLOAD_MAX_ROWS = 5
    response = _upload(client_logged, MESSY_CSV)
    assert "The file has more than 5 rows; split it into smaller files." in _text(
        response
    )


def test_upload_into_another_accounts_list_is_refused(client_logged, other_account):
    theirs = ContactList.objects.create(account=other_account, name="Theirs")
    response = _upload(client_logged, MESSY_CSV, contact_list=theirs.pk)
    assert response.status_code == 422
    assert "Select a valid choice" in _text(response)
    assert not ContactImport.objects.exists()


def test_the_page_title_says_when_the_import_ended(client_logged, account):
    """The tab title changes with the swap that ends the polling, and on reload."""
    _upload(client_logged, MESSY_CSV)
    contact_import = ContactImport.objects.get()
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status="RUNNING", queued_at="2026-11-23T10:00Z"
    )
    url = reverse("contacts:import", args=[contact_import.pk])
    assert "<title>Importing…" in client_logged.get(url).content.decode()
    ContactImport.objects.filter(pk=contact_import.pk).update(status="FAILED")
    swapped = client_logged.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<title>Import failed · " in swapped
    ContactImport.objects.filter(pk=contact_import.pk).update(status="COMPLETED")
    assert "<title>Import done · " in client_logged.get(url).content.decode()
