"""Staff top up an account from Django admin; every change is a ledger row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.models import LedgerEntry

pytestmark = pytest.mark.smoke


@pytest.fixture
def staff_client(client, db):
    staff = get_user_model().objects.create_superuser("staff", "s@example.com", "pw")
    client.force_login(staff)
    return client


def test_staff_top_up_writes_a_ledger_row(staff_client, account):
    url = f"/admin/accounts/account/{account.pk}/credit/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url, {"kind": "top_up", "amount": "250.00", "note": "PO 42"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == Decimal("1750.00")
    entry = LedgerEntry.objects.filter(account=account).order_by("-id").first()
    assert (entry.kind, entry.amount, entry.note) == (
        "top_up",
        Decimal("250.00"),
        "PO 42",
    )
    assert entry.actor.username == "staff"


def test_debit_adjustment_below_zero_is_refused_in_the_form(staff_client, account):
    url = f"/admin/accounts/account/{account.pk}/credit/"
    response = staff_client.post(url, {"kind": "adjustment", "amount": "-5000"})
    assert response.status_code == 200
    assert "Insufficient credit" in response.content.decode()
    account.refresh_from_db()
    assert account.balance == Decimal("1500.00")


def test_balance_is_not_editable_in_the_change_form(staff_client, account):
    staff_client.post(
        f"/admin/accounts/account/{account.pk}/change/",
        {
            "name": "Renamed",
            "currency": "EUR",
            "timezone": "Europe/Rome",
            "default_region": "IT",
            "balance": "999999",
        },
    )
    account.refresh_from_db()
    assert account.balance == Decimal("1500.00")


def test_members_cannot_open_admin(client_logged):
    response = client_logged.get("/admin/accounts/account/")
    assert response.status_code == 302
