"""A marketer uploads a messy spreadsheet export and reads what we made of it.

A real Celery worker (in a thread, through the test broker) runs the import, so
the progress page polls exactly as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import Account, Membership
from accounts.services import account_create
from config.celery import app as celery_app
from contacts.models import OptOut
from tests.contacts.conftest import MESSY_CSV
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def marketer(transactional_db, settings, tmp_path) -> Account:
    settings.MEDIA_ROOT = tmp_path / "media"
    account = account_create(name="ShopItalia", credit=Decimal("100.00"))
    user = get_user_model().objects.create_user(username="marta", password="pw-12345!")
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    OptOut.objects.create(account=account, phone="+393477654321")
    return account


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    celery_app.control.purge()
    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30):
        yield


def test_upload_messy_csv_and_read_the_summary(
    page, screenshot, marketer, worker, tmp_path
):
    export = tmp_path / "Clienti novembre.csv"
    export.write_bytes(MESSY_CSV.encode("utf-8"))
    login(page, "marta", "pw-12345!")
    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", name="No contact lists yet")).to_be_visible()
    screenshot(page, "contacts-empty")

    page.get_by_role("link", name="Upload your first list").click()
    page.get_by_label("CSV or Excel file").set_input_files(export)
    page.get_by_label("New list name").fill("Black Friday 2026")
    expect(page.get_by_label("Country of numbers without a prefix")).to_have_value("IT")
    screenshot(page, "contacts-upload")
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Check the columns")).to_be_visible()
    expect(page.get_by_label("Telefono")).to_have_value("phone")
    expect(page.get_by_label("Nome", exact=True)).to_have_value("first_name")
    expect(page.get_by_label("Cognome")).to_have_value("last_name")
    expect(page.get_by_label("Codice")).to_have_value("attribute")
    expect(page.get_by_role("cell", name="0039 320 111 2222")).to_be_visible()
    screenshot(page, "contacts-columns")
    page.get_by_role("button", name="Import contacts").click()

    expect(
        page.get_by_text("Done: the rows are in “Black Friday 2026”.")
    ).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("rows-read")).to_have_text("10")
    expect(page.get_by_test_id("valid-rows")).to_have_text("5")
    expect(page.get_by_test_id("invalid-rows")).to_have_text("3")
    expect(page.get_by_test_id("duplicate-rows")).to_have_text("2")
    expect(page.get_by_test_id("opted-out-rows")).to_have_text("1")
    screenshot(page, "contacts-summary")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report").click()
    report = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert report == [
        "row,value,reason,opted out,first name,last name",
        "3,'+39 347 765 4321,Opted out or blacklisted,yes,Giulia,Bianchi",
        "5,,No phone number given,no,Anna,Neri",
        "6,3331234567,Duplicate of row 2,no,Mario,Rossi bis",
        "7,12345,Too short for a phone number,no,Paolo,Gialli",
        "10,'+39 333 123 4567,Duplicate of row 2,no,Mario,Rossi",
        "11,340 000 0000,More cells than the header has columns,no,Sara,Blu",
    ]

    page.get_by_role("link", name="Open the list").click()
    expect(page.get_by_role("heading", name="Black Friday 2026")).to_be_visible()
    expect(page.get_by_role("row", name="+393477654321")).to_contain_text("Opted out")
    screenshot(page, "contacts-list")
    page.get_by_role("link", name="Invalid 3").click()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?status=invalid")
    contacts = page.locator("#contacts-table")
    expect(contacts.get_by_role("row")).to_have_count(4)  # header + 3 invalid rows
    expect(page.get_by_role("row", name="12345 Invalid")).to_contain_text("Too short")
    page.get_by_role("link", name="Duplicates 2").click()
    page.get_by_role("searchbox", name="Search").fill("rossi bis")
    expect(contacts.get_by_role("row")).to_have_count(2)  # header + row 6
    expect(contacts.get_by_role("row", name="3331234567")).to_contain_text("Duplicate")
    screenshot(page, "contacts-list-search")

    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name="Opt-outs").click()
    page.get_by_label("Phone number").fill("333 999 8888")
    page.get_by_role("button", name="Opt out").click()
    expect(
        page.get_by_text("+393339998888 will not receive campaigns any more.")
    ).to_be_visible()
    screenshot(page, "contacts-optouts")

    page.get_by_role("link", name="Dashboard").click()
    card = page.get_by_test_id("contacts-card")
    expect(card).to_contain_text("1 list")
    expect(card).to_contain_text("5 valid numbers in all")
    expect(
        page.get_by_role("link", name="Imported Clienti novembre.csv")
    ).to_be_visible()
    screenshot(page, "contacts-dashboard")
