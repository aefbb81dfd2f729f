"""Account and credit page, API keys, account switcher, sign-in lockout."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.apikeys import apikey_create, apikey_revoke
from accounts.decorators import AccountRequest, account_required
from accounts.digits import as_id
from accounts.errors import DomainError
from accounts.forms import ApiKeyForm, SendWindowForm
from accounts.middleware import SESSION_KEY
from accounts.selectors import (
    accounts_for_user,
    apikeys_for_account,
    ledger_for_account,
)
from accounts.services import account_send_window_set
from accounts.windows import window_describe


def _window_form(account, data=None) -> SendWindowForm:
    window = account.send_window or {}
    initial = {"days": window.get("days", [])}
    if window:
        initial.update(start=window["from"], end=window["to"].replace("24:00", "00:00"))
    return SendWindowForm(data, initial=initial)


@account_required
def account_detail(request: AccountRequest) -> HttpResponse:
    """Balance, reserved credit and the ledger, newest first; the default window."""
    page = Paginator(ledger_for_account(account=request.account), 25).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "window_form": _window_form(request.account),
        "send_window_text": window_describe(request.account.send_window),
    }
    return render(request, "accounts/account.html", context)


@account_required
@require_POST
def account_send_window(request: AccountRequest) -> HttpResponse:
    """Set or clear the send window new campaigns start with."""
    form = _window_form(request.account, request.POST)
    if form.is_valid():
        try:
            account_send_window_set(account=request.account, window=form.window())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("New campaigns start with this send window."))
    else:
        messages.error(request, _("Give the hours as HH:MM."))
    return redirect("accounts:detail")


@never_cache
@account_required
def api_keys(request: AccountRequest) -> HttpResponse:
    """List keys by prefix; create one and show its secret exactly once.

    Never cached (`Cache-Control: no-store`): the page with a new secret must not
    come back from the browser's cache or history, nor sit in a shared proxy.
    """
    new_key = None
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _key, new_key = apikey_create(
            account=request.account,
            name=form.cleaned_data["name"],
            created_by=request.user,
        )
        form = ApiKeyForm()
    context = {
        "keys": apikeys_for_account(account=request.account),
        "form": form,
        "new_key": new_key,
    }
    template = "accounts/api_keys.html" + ("#api-keys-panel" if request.htmx else "")
    status = 422 if form.is_bound and form.errors else 200
    return render(request, template, context, status=status)


@account_required
@require_POST
def api_key_revoke(request: AccountRequest, pk: int) -> HttpResponse:
    """Revoke a key of the current account; another account's key is a 404."""
    key = get_object_or_404(apikeys_for_account(account=request.account), pk=pk)
    if apikey_revoke(account=request.account, pk=key.pk):
        messages.success(request, _("The key was revoked. Requests using it now fail."))
    else:
        messages.info(request, _("That key was already revoked."))
    return redirect("accounts:api_keys")


@require_POST
def switch_account(request: AccountRequest) -> HttpResponse:
    """Make another of the user's accounts the current one."""
    wanted_id = as_id(request.POST.get("account"))
    if wanted_id and accounts_for_user(request.user).filter(pk=wanted_id).exists():
        request.session[SESSION_KEY] = wanted_id
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict | None,
) -> HttpResponse:
    """Say that sign-in is paused and for how long (django-axes' lockout callable).

    The same page answers the dashboard and the admin login: it names neither the
    address nor the user that tripped the limit, so it tells a guesser nothing.
    """
    # Settings always give a cool-off (LOGIN_LOCKOUT_MINUTES), never a permanent lock.
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    context = {"minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)
