"""The credit ledger: every movement is a row, the balance never goes below zero."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection

from accounts.credit import (
    credit_adjust,
    credit_capture,
    credit_release,
    credit_reserve,
    credit_top_up,
)
from accounts.errors import InsufficientCredit
from accounts.models import Account, LedgerEntry
from accounts.services import account_create

pytestmark = pytest.mark.smoke


def test_opening_credit_is_a_top_up_row(account):
    entry = LedgerEntry.objects.get(account=account)
    assert entry.kind == LedgerEntry.Kind.TOP_UP
    assert entry.amount == Decimal("1500.00")
    assert account.balance == Decimal("1500.00")


def test_reserve_release_capture_move_balance_and_reserved(account):
    credit_reserve(account=account, amount=Decimal("344.09"), reference="campaign:1")
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (
        Decimal("1155.91"),
        Decimal("344.09"),
    )

    credit_capture(account=account, amount=Decimal("300.00"), reference="campaign:1")
    credit_release(account=account, amount=Decimal("44.09"), reference="campaign:1")
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (Decimal("1200.00"), Decimal("0"))
    kinds = list(
        LedgerEntry.objects.filter(reference="campaign:1")
        .order_by("id")
        .values_list("kind", "amount", "balance_after")
    )
    assert kinds == [
        ("reservation", Decimal("344.09"), Decimal("1155.91")),
        ("capture", Decimal("300.00"), Decimal("1155.91")),
        ("release", Decimal("44.09"), Decimal("1200.00")),
    ]


def test_reservation_beyond_balance_is_refused_with_both_figures(account):
    with pytest.raises(
        InsufficientCredit,
        match=r"Insufficient credit. Required: 1500.01, available: 1500.00",
    ):
        credit_reserve(
            account=account, amount=Decimal("1500.01"), reference="campaign:9"
        )
    account.refresh_from_db()
    assert account.balance == Decimal("1500.00")
    assert not LedgerEntry.objects.filter(kind="reservation").exists()


def test_debit_adjustment_cannot_overdraw(account):
    with pytest.raises(InsufficientCredit):
        credit_adjust(account=account, amount=Decimal("-2000"))
    credit_adjust(account=account, amount=Decimal("-500"), note="goodwill reversal")
    account.refresh_from_db()
    assert account.balance == Decimal("1000.00")


def test_database_refuses_a_negative_balance(account):
    with pytest.raises(IntegrityError):
        Account.objects.filter(pk=account.pk).update(balance=Decimal("-1"))


def test_top_up_must_be_positive(account):
    with pytest.raises(Exception, match="greater than zero"):
        credit_top_up(account=account, amount=Decimal("0"))


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_reservations_leave_exactly_ten():
    """The guard in the UPDATE holds under real concurrency, not only in Python."""
    account = account_create(name="Race", credit=Decimal("100.00"))
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def reserve(n: int) -> None:
        barrier.wait()
        try:
            credit_reserve(account=account, amount=Decimal("10.00"), reference=f"r{n}")
            outcomes.append("ok")
        except InsufficientCredit:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    account.refresh_from_db()
    assert outcomes.count("ok") == 10
    assert outcomes.count("refused") == 40
    assert account.balance == Decimal("0")
    assert account.reserved == Decimal("100.00")
    assert LedgerEntry.objects.filter(account=account, kind="reservation").count() == 10
