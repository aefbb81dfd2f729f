"""Put the user's current account on every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.selectors import membership_get

SESSION_KEY = "account_id"


class CurrentAccountMiddleware:
    """Set `request.account` and `request.membership` from the session's choice.

    A user with several accounts switches with `accounts:switch`; an account id in
    the session that the user no longer belongs to falls back to their first one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.account = None
        request.membership = None
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            membership = membership_get(
                user=request.user, account_id=request.session.get(SESSION_KEY)
            )
            if membership is not None:
                request.membership = membership
                request.account = membership.account
        return self.get_response(request)
