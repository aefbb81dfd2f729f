"""The Channels page: the account's routes, their status, and a form per kind."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import AccountRequest, account_required
from accounts.digits import as_id
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from campaigns.routes import route_delete_unused
from contacts.paging import keyset_page
from dashboard.route_forms import RouteForm
from messaging.failover import route_restore
from messaging.gateways.kinds import KINDS
from messaging.inbound import ANY_KEYWORD, START_WORDS, STOP_WORDS, replies_for_account
from messaging.routes import (
    RouteChanges,
    callback_url,
    is_demoted,
    route_create,
    route_get,
    route_set_default,
    route_update,
    routes_list,
)

REPLIES_PER_PAGE = 50


def _changes(form: RouteForm) -> RouteChanges:
    data = form.cleaned_data
    return RouteChanges(
        name=data["name"],
        settings=form.route_settings(),
        is_default=data["is_default"] or None,
        priority=data["priority"],
        enabled=data["enabled"],
    )


@never_cache
@account_required
def channels(request: AccountRequest) -> HttpResponse:
    """The account's routes by channel, with what is demoted and until when."""
    rows = [
        {
            "route": route,
            "demoted": is_demoted(route),
            "callback_url": callback_url(route.key),
        }
        for route in routes_list(account=request.account)
    ]
    context = {"rows": rows, "kinds": sorted(KINDS)}
    return render(request, "dashboard/channels.html", context)


def _form_page(request: AccountRequest, form: RouteForm, *, route=None) -> HttpResponse:
    status = 422 if form.is_bound else 200  # still bound here means invalid
    context = {"form": form, "route": route, "kind": form.kind}
    template = "dashboard/channel_form.html" + ("#route-form" if request.htmx else "")
    return render(request, template, context, status=status)


def _saved(request: AccountRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    url = reverse("channels:list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@never_cache
@account_required
def channel_create(request: AccountRequest, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    form = RouteForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            route = route_create(
                account=request.account,
                kind=kind,
                channel=form.cleaned_data["channel"],
                changes=_changes(form),
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _saved(request, _("%(name)s was added.") % {"name": route.name})
    return _form_page(request, form)


@never_cache
@account_required
def channel_edit(request: AccountRequest, pk: int) -> HttpResponse:
    route = route_get(account=request.account, pk=pk)
    form = RouteForm(request.POST or None, kind=route.kind, route=route)
    if request.method == "POST" and form.is_valid():
        try:
            route = route_update(account=request.account, pk=pk, changes=_changes(form))
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _saved(request, _("%(name)s was saved.") % {"name": route.name})
    return _form_page(request, form, route=route)


@account_required
@require_POST
def channel_delete(request: AccountRequest, pk: int) -> HttpResponse:
    try:
        route_delete_unused(account=request.account, pk=pk)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The route was deleted."))
    return redirect("channels:list")


@account_required
@require_POST
def channel_make_default(request: AccountRequest, pk: int) -> HttpResponse:
    route = route_set_default(account=request.account, pk=pk)
    messages.success(
        request,
        _("%(name)s is now the default %(channel)s route.")
        % {"name": route.name, "channel": route.get_channel_display()},
    )
    return redirect("channels:list")


@account_required
@require_POST
def channel_restore(request: AccountRequest, pk: int) -> HttpResponse:
    """End a demotion now (the provider is back before the cool-down ends)."""
    route = route_get(account=request.account, pk=pk)
    route_restore(account_id=request.account.pk, pk=route.pk)
    messages.success(request, _("%(name)s takes traffic again.") % {"name": route.name})
    return redirect("channels:list")


@account_required
def replies(request: AccountRequest) -> HttpResponse:
    """What recipients sent back, newest first; filter by keyword."""
    keyword = request.GET.get("keyword", "").strip().upper()
    choices = sorted(STOP_WORDS | START_WORDS)
    if keyword == ANY_KEYWORD.upper():
        keyword = ANY_KEYWORD
    elif keyword not in choices:
        keyword = ""

    def cursor(name: str) -> int | None:
        value = request.GET.get(name, "")
        return as_id(value)

    page = keyset_page(
        replies_for_account(account_id=request.account.pk, keyword=keyword),
        after=cursor("after"),
        before=cursor("before"),
        size=REPLIES_PER_PAGE,
        descending=True,
    )
    context = {"page": page, "keyword": keyword, "keywords": choices}
    template = "dashboard/replies.html" + ("#reply-table" if request.htmx else "")
    return render(request, template, context)
