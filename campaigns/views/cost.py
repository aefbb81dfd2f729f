"""Wizard step 4: calculate, then read the quote like an invoice, with the fixes
that would make it cheaper and what each one saves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import AccountRequest, account_required
from accounts.digits import as_id
from accounts.errors import DomainError
from accounts.windows import window_describe
from campaigns.fixes import LOOKALIKES, REMOVAL, TRANSLITERATION, campaign_apply_fix
from campaigns.models import Campaign
from campaigns.services import campaign_calculate
from campaigns.states import EDITABLE, PRICED, Status
from campaigns.trials import campaign_test_send, test_results
from campaigns.views.common import (
    go,
    in_account_timezone,
    load_campaign,
    template_for,
)
from campaigns.views.steps import wizard_steps
from messaging.models import FINAL

PAGE = "campaigns/cost.html"


def _histogram(campaign: Campaign) -> list[dict[str, Any]]:
    """Recipients per number of parts, with each bar's share of the widest."""
    counts = {int(k): v for k, v in campaign.quote.get("partsHistogram", {}).items()}
    widest = max(counts.values(), default=0) or 1
    return [
        {"parts": parts, "recipients": n, "percent": round(100 * n / widest)}
        for parts, n in sorted(counts.items())
    ]


def _fixes(campaign: Campaign) -> list[dict[str, Any]]:
    """The one-click fixes the quote priced that would actually save money."""
    insights = campaign.quote.get("insights", {})
    offered = []
    for fix in (TRANSLITERATION, LOOKALIKES, REMOVAL):
        saving = Decimal(insights.get(fix, {}).get("saving") or "0")
        if saving > 0:
            offered.append({"fix": fix, "saving": saving, **insights[fix]})
    return offered


def quote_context(campaign: Campaign) -> dict[str, Any]:
    """The quote as the cost step and the campaign page show it."""
    # A canceled campaign keeps the quote it had, which its page still shows.
    shown = PRICED | {Status.CANCELED}
    is_priced = campaign.status in shown and campaign.estimated_cost is not None
    if not is_priced:
        return {"is_priced": False}
    insights = campaign.quote.get("insights", {})
    fixes = _fixes(campaign)
    forecast = campaign.quote.get("forecast")
    finish = forecast and forecast.get("estimatedCompletionTime")
    return {
        "is_priced": True,
        "forecast": forecast,
        "forecast_finish": datetime.fromisoformat(finish) if finish else None,
        "send_window_text": window_describe(campaign.send_window),
        "quote": campaign.quote,
        "insights": insights,
        "histogram": _histogram(campaign),
        "capped": (campaign.valid_recipients or 0) - (campaign.recipient_count or 0),
        "fixes": fixes,
        "fix_names": [fix["fix"] for fix in fixes],
        "ucs2_fields": sorted(
            insights.get("ucs2Fields", {}).items(), key=lambda item: -item[1]
        ),
        "empty_fields": sorted(
            insights.get("emptyFields", {}).items(), key=lambda item: -item[1]
        ),
    }


@account_required
@in_account_timezone
@require_http_methods(["GET", "POST"])
def campaign_cost(request: AccountRequest, pk: int) -> HttpResponse:
    """Show the quote; POST (the Calculate button) validates recipients and prices."""
    campaign = load_campaign(request, pk)
    error = ""
    if request.method == "POST":
        try:
            campaign_calculate(account=request.account, pk=pk, actor=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            return go(request, reverse("campaigns:cost", args=[pk]))
    context = {
        "campaign": campaign,
        "error": error,
        "steps": wizard_steps(campaign, "cost"),
        "is_editable": campaign.status in EDITABLE,
        **quote_context(campaign),
    }
    template = template_for(request, PAGE, "cost-panel")
    return render(request, template, context, status=422 if error else 200)


@account_required
@require_POST
def campaign_fix(request: AccountRequest, pk: int) -> HttpResponse:
    """Apply one of the quote's fixes and say what it saved, in euros."""
    load_campaign(request, pk)
    try:
        result = campaign_apply_fix(
            account=request.account,
            pk=pk,
            fix=request.POST.get("fix", ""),
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Done: the campaign now costs %(after)s %(currency)s, "
                "%(saving)s %(currency)s less."
            )
            % {
                "after": f"{result.after:.2f}",
                "saving": f"{result.saving:.2f}",
                "currency": request.account.currency,
            },
        )
    return go(request, reverse("campaigns:cost", args=[pk]))


@account_required
@require_POST
def campaign_test_send_view(request: AccountRequest, pk: int) -> HttpResponse:
    """Send a test to the numbers typed; the panel shows each one's status."""
    campaign = load_campaign(request, pk)
    typed = request.POST.get("phone_numbers", "")[:500]
    numbers = [
        part.strip() for part in typed.replace(";", ",").split(",") if part.strip()
    ]
    context = {"campaign": campaign, "test_numbers": typed}
    try:
        context["test_sent"] = campaign_test_send(
            account=request.account, pk=pk, phone_numbers=numbers, actor=request.user
        )
    except DomainError as exc:
        context["test_error"] = exc.message
    if not request.htmx:
        messages.info(request, context.get("test_error") or _("Test sent."))
        return go(request, reverse("campaigns:cost", args=[pk]))
    return render(
        request,
        f"{PAGE}#test-send",
        context,
        status=422 if "test_error" in context else 200,
    )


@account_required
def campaign_test_results(request: AccountRequest, pk: int) -> HttpResponse:
    """The test messages' statuses, polled by HTMX; 286 stops it once all are final."""
    campaign = load_campaign(request, pk)
    ids = [i for i in map(as_id, request.GET.get("ids", "").split(",")[:5]) if i]
    sent = test_results(account=request.account, pk=pk, ids=ids)
    done = all(message.status in FINAL for message in sent)
    return render(
        request,
        f"{PAGE}#test-results",
        {"campaign": campaign, "test_sent": sent},
        status=286 if done else 200,
    )
