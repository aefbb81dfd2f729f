"""Template context shared by every dashboard page."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest

from accounts.selectors import accounts_for_user


def current_account(request: HttpRequest) -> dict:
    """The current account, the user's others (for the switcher), and whether its
    credit is low (`CREDIT_LOW_THRESHOLD`): the top bar's pill warns only then."""
    account = getattr(request, "account", None)
    if account is None:
        return {"current_account": None, "user_accounts": [], "credit_low": False}
    return {
        "current_account": account,
        "user_accounts": accounts_for_user(request.user),
        "credit_low": account.balance < Decimal(settings.CREDIT_LOW_THRESHOLD),
    }
