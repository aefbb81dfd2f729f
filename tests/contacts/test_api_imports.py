"""File imports over the API: 202 at once, then the import's status and report."""

from __future__ import annotations

import pytest

from contacts.models import ContactImport, OptOut
from contacts.services import contact_list_create
from tests.contacts.conftest import MESSY_CSV, upload, xlsx

pytestmark = pytest.mark.smoke

V1 = "/api/partner-gateway/v1"


def _post_file(api, url: str, content, name="clienti.csv", **fields):
    data = {"file": upload(content, name), **fields}
    return api.client.post(url, data, headers={"X-Api-Key": api.key})


@pytest.fixture
def list_url(account) -> str:
    contact_list = contact_list_create(account=account, name="Clienti")
    return f"{V1}/contact-lists/{contact_list.pk}"


def test_upload_is_accepted_then_completes_with_the_summary(
    api, account, list_url, eager_tasks, django_capture_on_commit_callbacks
):
    OptOut.objects.create(account=account, phone="+393201112222")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_file(api, f"{list_url}/import", MESSY_CSV)
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["status"] == "PENDING"
    assert accepted["statusUrl"] == (
        f"http://testserver{V1}/imports/{accepted['importId']}"
    )
    body = api.get(f"{V1}/imports/{accepted['importId']}").json()
    assert {k: body[k] for k in body if not k.endswith("At")} == {
        "importId": accepted["importId"],
        "contactListId": int(list_url.rsplit("/", 1)[1]),
        "fileName": "clienti.csv",
        "status": "COMPLETED",
        "error": None,
        "totalRows": 10,
        "processedRows": 10,
        "validRows": 5,
        "invalidRows": 3,
        "duplicateRows": 2,
        "optedOutRows": 1,
        "errorReportUrl": (
            f"http://testserver{V1}/imports/{accepted['importId']}/errors"
        ),
    }
    assert (
        body["validRows"] + body["invalidRows"] + body["duplicateRows"]
        == (body["totalRows"])
    )
    report = api.get(f"{V1}/imports/{accepted['importId']}/errors")
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[1:4] == [
        "4,0039 320 111 2222,Opted out or blacklisted,yes,Luca,Verdi",
        "5,,No phone number given,no,Anna,Neri",
        "6,3331234567,Duplicate of row 2,no,Mario,Rossi bis",
    ]


def test_pending_import_has_no_report_yet(api, account, list_url):
    response = _post_file(api, f"{list_url}/import", MESSY_CSV)  # no worker runs
    body = api.get(f"{V1}/imports/{response.json()['importId']}").json()
    # Until the worker has read the file, totalRows is the upload check's line
    # count (the blank line included).
    assert (body["status"], body["errorReportUrl"], body["totalRows"]) == (
        "PENDING",
        None,
        11,
    )


def test_region_for_national_numbers_is_a_form_field(
    api, list_url, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_file(
            api, f"{list_url}/import", "phone\n030 1234567\n", defaultRegion="DE"
        )
    contact_import = ContactImport.objects.get(pk=response.json()["importId"])
    assert (contact_import.default_region, contact_import.valid_rows) == ("DE", 1)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
            "photo.csv",
            "This is not a CSV or Excel file (it looks like binary data).",
        ),
        (
            "nome,email\nMario,mario@example.com\n",
            "names.csv",
            "No column holds phone numbers. Name the column “phone” or “telefono”, "
            "or check that the numbers are in the file.",
        ),
        (
            b"PK\x03\x04 not really a workbook",
            "fake.xlsx",
            "This is not an Excel (.xlsx) workbook or a CSV file.",
        ),
        (
            "phone,name\n",
            "header.csv",
            "The file has no contacts, only a row of column names.",
        ),
        (
            xlsx([["Cellulare", "Nome"]]),
            "header.xlsx",
            "The file has no contacts, only a row of column names.",
        ),
    ],
)
def test_files_that_cannot_be_imported_are_400_with_the_reason(
    api, list_url, content, name, message
):
    response = _post_file(api, f"{list_url}/import", content, name)
    assert response.status_code == 400
    assert response.json() == {"status": "fail", "data": {"file": message}}
    assert not ContactImport.objects.exists()


def test_missing_file_and_bad_region_are_400(api, list_url):
    response = api.client.post(f"{list_url}/import", {}, headers={"X-Api-Key": api.key})
    assert response.json() == {
        "status": "fail",
        "data": {"file": "Attach the CSV or XLSX file as the field `file`"},
    }
    response = _post_file(api, f"{list_url}/import", MESSY_CSV, defaultRegion="ZZ")
    assert response.json()["data"] == {"defaultRegion": "Unknown country code: ZZ"}


def test_over_size_and_over_rows_are_400(api, list_url, settings):
    settings.CONTACT_UPLOAD_MAX_BYTES = 100
    response = _post_file(api, f"{list_url}/import", MESSY_CSV)
    assert response.json()["data"] == {
        "file": "The file is 343\xa0bytes; the largest file accepted is 100\xa0bytes."
    }
    settings.CONTACT_UPLOAD_MAX_BYTES = 10_000
    settings.CONTACT_UPLOAD_MAX_ROWS = 9
    response = _post_file(api, f"{list_url}/import", MESSY_CSV)
    assert response.json()["data"] == {
        "file": "The file has more than 9 rows; split it into smaller files."
    }


def test_xlsx_upload(api, list_url, eager_tasks, django_capture_on_commit_callbacks):
    content = xlsx([["Cellulare", "Nome"], ["333 1234567", "Anna"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_file(api, f"{list_url}/import", content, "lista.xlsx")
    body = api.get(f"{V1}/imports/{response.json()['importId']}").json()
    assert (body["status"], body["validRows"]) == ("COMPLETED", 1)


def test_other_accounts_import_and_list_are_404(api, other_api, list_url):
    response = _post_file(api, f"{list_url}/import", MESSY_CSV)
    import_id = response.json()["importId"]
    for path in (f"{V1}/imports/{import_id}", f"{V1}/imports/{import_id}/errors"):
        assert other_api.get(path).json() == {
            "status": "fail",
            "data": {"id": "Not found"},
        }
    response = _post_file(other_api, f"{list_url}/import", MESSY_CSV)
    assert response.status_code == 404
    assert ContactImport.objects.count() == 1
