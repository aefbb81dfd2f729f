"""Account services: create tenants and their owners."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.credit import credit_top_up
from accounts.models import Account, Membership
from accounts.windows import window_clean


def account_create(
    *,
    name: str,
    credit: Decimal = Decimal("0"),
    owner_email: str | None = None,
    actor=None,
) -> Account:
    """Create an account, optionally with an owner and opening credit (a top-up row)."""
    with transaction.atomic():
        account = Account.objects.create(name=name)
        if owner_email:
            user, _ = get_user_model().objects.get_or_create(
                username=owner_email, defaults={"email": owner_email}
            )
            Membership.objects.create(
                user=user, account=account, role=Membership.Role.OWNER
            )
        if credit > 0:
            credit_top_up(
                account=account, amount=credit, actor=actor, note="Opening credit"
            )
    account.refresh_from_db()
    return account


def membership_add(
    *, account: Account, user, role: str = Membership.Role.MEMBER
) -> Membership:
    """Add a user to an account (idempotent)."""
    membership, _ = Membership.objects.get_or_create(
        account=account, user=user, defaults={"role": role}
    )
    return membership


def account_send_window_set(*, account: Account, window: object) -> Account:
    """Set (or clear, with None) the window new campaigns start with.

    Campaigns already made keep theirs; transactional sends never have one.
    """
    cleaned = window_clean(window)
    Account.objects.filter(pk=account.pk).update(send_window=cleaned)
    account.send_window = cleaned
    return account
