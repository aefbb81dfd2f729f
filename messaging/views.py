"""The Webhooks page: subscribe (secret shown once), list, delivery log, replay."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from messaging import webhooks
from messaging.forms import WebhookForm


@never_cache
@account_required
def webhooks_page(request: AccountRequest) -> HttpResponse:
    """List the account's webhooks; create one and show its secret exactly once.

    Never cached (`Cache-Control: no-store`), like the API keys page: the page
    that shows a secret must not come back from a cache or the history.
    """
    created = secret = None
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = webhooks.webhook_create(
                account=request.account,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                batch_size=form.cleaned_data["batch_size"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            form = WebhookForm()
    context = {
        "webhooks": webhooks.webhooks_for_account(account=request.account),
        "form": form,
        "created": created,
        "secret": secret,
    }
    template = "messaging/webhooks.html" + ("#webhooks-panel" if request.htmx else "")
    status = 422 if form.is_bound and form.errors else 200
    return render(request, template, context, status=status)


@account_required
def webhook_detail(request: AccountRequest, pk: int) -> HttpResponse:
    """One webhook's delivery log, newest first, 25 a page."""
    endpoint = webhooks.webhook_get(account=request.account, pk=pk)
    rows = webhooks.deliveries_for(account=request.account, webhook_id=pk)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    context = {"endpoint": endpoint, "page": page}
    return render(request, "messaging/webhook_detail.html", context)


@account_required
@require_POST
def webhook_delete(request: AccountRequest, pk: int) -> HttpResponse:
    webhooks.webhook_delete(account=request.account, pk=pk)
    messages.success(request, _("The webhook was deleted; nothing more is sent to it."))
    return redirect("messaging:webhooks")


@account_required
@require_POST
def delivery_replay(request: AccountRequest, pk: int) -> HttpResponse:
    delivery = webhooks.delivery_replay(account=request.account, pk=pk)
    messages.success(request, _("The delivery will be sent again in a moment."))
    return redirect("messaging:webhook", pk=delivery.endpoint_id)
