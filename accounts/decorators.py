"""View decorators for dashboard pages that work inside the current account."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from accounts.models import Account, Membership


class AccountRequest(HttpRequest):
    """A request from a signed-in member of `account` (for type checkers)."""

    htmx: HtmxDetails
    account: Account
    membership: Membership


def account_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in user with an account; otherwise explain what is missing."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request, "account", None) is None:
            return render(request, "accounts/no_account.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
