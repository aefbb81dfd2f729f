"""Put the user's current account on every request; show unhandled refusals."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import DomainError, NotFound
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


class DomainErrorMiddleware:
    """Turn a domain refusal that a page view did not handle into what people expect.

    `NotFound` (another account's id, or none at all) is the 404 page; any other
    `DomainError` is a flash message on the page the user came from, so a view
    need not wrap each service call. Views that show errors next to a form catch
    them first. The API renders its own errors (ninja's exception handlers).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotFound):
            raise Http404 from exception
        messages.error(request, exception.message)
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}
        ):
            back = "/"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(back)
        return redirect(back)
