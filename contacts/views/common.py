"""What the contact views share: HTMX navigation, the way back, query ids."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import AccountRequest
from accounts.digits import as_id


def go(request: AccountRequest, url: str) -> HttpResponse:
    """Navigate after a successful POST: a full page load for HTMX, else a redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def back_to(request: AccountRequest, fallback: str) -> str:
    """The local `next` URL the form came from (keeps filters and page), else fallback."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return fallback


def optional_int(value: str | None) -> int | None:
    """A positive id from the query string; anything else means "not given"."""
    return as_id(value)
