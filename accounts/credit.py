"""Credit services: every change is a guarded UPDATE of the account plus a ledger row.

The balance moves only through `_move`, whose UPDATE carries the guard
(`balance >= amount`) in its WHERE clause: under concurrent requests PostgreSQL
re-checks the guard after waiting for the row lock, so two reservations can never
both spend the same euro. The CHECK constraint on `Account` is the backstop.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Round

from accounts.apikeys import acting_api_key
from accounts.error_codes import AccountErrorCode
from accounts.errors import DomainError, InsufficientCredit
from accounts.models import Account, LedgerEntry
from accounts.money import MONEY_DECIMAL_PLACES

Kind = LedgerEntry.Kind

# How each kind moves money: (sign on balance, sign on reserved).
_EFFECTS: dict[str, tuple[int, int]] = {
    Kind.TOP_UP: (1, 0),
    Kind.ADJUSTMENT_CREDIT: (1, 0),
    Kind.ADJUSTMENT_DEBIT: (-1, 0),
    Kind.RESERVATION: (-1, 1),
    Kind.RELEASE: (1, -1),
    Kind.CAPTURE: (0, -1),
    Kind.REFUND: (1, 0),
}


def _move(
    *,
    account_id: int,
    kind: str,
    amount: Decimal,
    reference: str = "",
    note: str = "",
    actor=None,
) -> LedgerEntry:
    """Apply one ledger movement atomically; raise if it would go below zero."""
    amount = Decimal(amount)
    if amount <= 0:
        raise DomainError(
            {"amount": "The amount must be greater than zero."},
            code=AccountErrorCode.INVALID_AMOUNT,
        )
    balance_sign, reserved_sign = _EFFECTS[kind]
    guard = Q(pk=account_id)
    if balance_sign < 0:
        guard &= Q(balance__gte=amount)
    if reserved_sign < 0:
        guard &= Q(reserved__gte=amount)
    with transaction.atomic():
        # Round keeps SQLite (which stores decimals as doubles) at exact cents-and-
        # tenths-of-cents, so a later guard compares equal amounts as equal.
        moved = Account.objects.filter(guard).update(
            balance=Round(F("balance") + balance_sign * amount, MONEY_DECIMAL_PLACES),
            reserved=Round(
                F("reserved") + reserved_sign * amount, MONEY_DECIMAL_PLACES
            ),
        )
        # Our UPDATE keeps the row locked until commit, so this read sees exactly
        # the state we produced (or, when refused, the figures to explain why).
        account = Account.objects.only("balance", "reserved").get(pk=account_id)
        if not moved:
            raise InsufficientCredit(
                required=amount,
                available=account.reserved if reserved_sign < 0 else account.balance,
            )
        return LedgerEntry.objects.create(
            account_id=account_id,
            kind=kind,
            amount=amount,
            balance_after=account.balance,
            reserved_after=account.reserved,
            reference=reference,
            note=note,
            actor=actor,
            api_key=acting_api_key.get(),
        )


def credit_top_up(
    *, account: Account, amount: Decimal, actor=None, note: str = ""
) -> LedgerEntry:
    """Add purchased credit to the available balance."""
    return _move(
        account_id=account.pk, kind=Kind.TOP_UP, amount=amount, actor=actor, note=note
    )


def credit_adjust(
    *, account: Account, amount: Decimal, actor=None, note: str = ""
) -> LedgerEntry:
    """Correct the balance by a signed amount (staff only); never below zero."""
    kind = Kind.ADJUSTMENT_CREDIT if amount > 0 else Kind.ADJUSTMENT_DEBIT
    return _move(
        account_id=account.pk, kind=kind, amount=abs(amount), actor=actor, note=note
    )


def credit_reserve(
    *, account: Account, amount: Decimal, reference: str, actor=None
) -> LedgerEntry:
    """Hold `amount` for a confirmed campaign; raise `InsufficientCredit` (402)."""
    return _move(
        account_id=account.pk,
        kind=Kind.RESERVATION,
        amount=amount,
        reference=reference,
        actor=actor,
    )


def credit_release(
    *, account: Account, amount: Decimal, reference: str, actor=None
) -> LedgerEntry:
    """Give a held amount back to the available balance (cancel, unsent messages)."""
    return _move(
        account_id=account.pk,
        kind=Kind.RELEASE,
        amount=amount,
        reference=reference,
        actor=actor,
    )


def credit_capture(*, account: Account, amount: Decimal, reference: str) -> LedgerEntry:
    """Spend a held amount: the messages it paid for have left our servers."""
    return _move(
        account_id=account.pk, kind=Kind.CAPTURE, amount=amount, reference=reference
    )


def credit_refund(
    *, account: Account, amount: Decimal, reference: str, actor=None, note: str = ""
) -> LedgerEntry:
    """Return spent credit, e.g. for messages the provider rejected."""
    return _move(
        account_id=account.pk,
        kind=Kind.REFUND,
        amount=amount,
        reference=reference,
        actor=actor,
        note=note,
    )
