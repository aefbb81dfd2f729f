"""Template context shared by every dashboard page."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.selectors import accounts_for_user


def current_account(request: HttpRequest) -> dict:
    """The current account and the user's others (for the switcher)."""
    account = getattr(request, "account", None)
    if account is None:
        return {"current_account": None, "user_accounts": []}
    return {
        "current_account": account,
        "user_accounts": accounts_for_user(request.user),
    }
