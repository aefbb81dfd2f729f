"""What the contact views share: 404 for other accounts' ids, HTMX navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import AccountRequest
from accounts.errors import NotFound

T = TypeVar("T")


def get_or_404(selector: Callable[..., T], request: AccountRequest, pk: int) -> T:
    """`selector(account=..., pk=...)`, with another account's id as a 404 page."""
    try:
        return selector(account=request.account, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


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
    return int(value) if value and value.isdigit() else None
