"""Account-scoped reads."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Account, ApiKey, LedgerEntry, Membership


def accounts_for_user(user) -> QuerySet[Account]:
    """Accounts the user belongs to, by name."""
    if not user.is_authenticated:
        return Account.objects.none()
    return Account.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user, account_id: int | None) -> Membership | None:
    """The user's membership of `account_id`, else of their first account."""
    memberships = Membership.objects.select_related("account").filter(user=user)
    if account_id is not None:
        chosen = memberships.filter(account_id=account_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("account__name", "account_id").first()


def ledger_for_account(*, account: Account) -> QuerySet[LedgerEntry]:
    """The account's credit history, newest first."""
    return (
        LedgerEntry.objects.filter(account=account)
        .select_related("actor", "api_key")
        .order_by("-id")
    )


def apikeys_for_account(*, account: Account) -> QuerySet[ApiKey]:
    """The account's API keys, newest first, revoked ones included."""
    return ApiKey.objects.filter(account=account).order_by("-created_at")
