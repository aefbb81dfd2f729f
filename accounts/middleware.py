"""Put the user's current account on every request; show unhandled refusals;
refuse requests too large or unstorable before any view reads them."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.apikeys import acting_api_key
from accounts.errors import DomainError, NotFound
from accounts.inputs import is_storable
from accounts.selectors import membership_get

SESSION_KEY = "account_id"


class CurrentAccountMiddleware:
    """Set `request.account` and `request.membership` from the session's choice.

    A user with several accounts switches with `accounts:switch`; an account id in
    the session that the user no longer belongs to falls back to their first one.
    The API key an API request authenticates with is forgotten when it ends, so
    the next request served by the same thread does not inherit it.
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
        token = acting_api_key.set(None)
        try:
            return self.get_response(request)
        finally:
            acting_api_key.reset(token)


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


def body_too_large_message() -> str:
    return _("The request is too large: at most %(size)s.") % {
        "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }


class RequestLimitsMiddleware:
    """Refuse, before any view, requests no view could store or should read.

    - A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` (10 MB) is a 413; a multipart
      upload may carry a contact file of `CONTACT_UPLOAD_MAX_BYTES` besides.
      Django would read the body and then raise (a 400, or a 500 inside ninja).
    - A query string with NUL (`?q=%00`) is a 400: PostgreSQL cannot compare
      text with NUL, so every search and filter answered 500.

    The API gets the seeds' JSON body; pages get a page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._too_large(request):
            return self._refuse(request, "body", body_too_large_message(), 413)
        if any(
            not is_storable(key) or not all(is_storable(v) for v in values)
            for key, values in request.GET.lists()
        ):
            message = _("The address may not contain NUL characters.")
            return self._refuse(request, "query", message, 400)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest) -> bool:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False  # Django itself refuses a malformed length
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.content_type == "multipart/form-data":
            limit += settings.CONTACT_UPLOAD_MAX_BYTES
        return length > limit

    @staticmethod
    def _refuse(
        request: HttpRequest, field: str, message: str, status: int
    ) -> HttpResponse:
        if request.path.startswith("/api/"):
            body = json.dumps({"status": "fail", "data": {field: message}})
            return HttpResponse(body, status=status, content_type="application/json")
        context = {"message": message}
        return render(request, "request_refused.html", context, status=status)
