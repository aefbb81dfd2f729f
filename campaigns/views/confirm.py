"""Wizard step 5: the price against the credit, then send now or schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.dates import format_amount, format_when
from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from campaigns.forms import ConfirmForm
from campaigns.models import Campaign
from campaigns.pricing import price_summary
from campaigns.services import campaign_confirm, maintenance_warning
from campaigns.states import PRICED, Status
from campaigns.views.common import go, in_account_timezone, load_campaign, template_for
from campaigns.views.steps import wizard_steps

PAGE = "campaigns/confirm.html"


def _summary(campaign: Campaign) -> dict[str, Any] | None:
    """The price summary, or None while there is no quote to price."""
    if campaign.status not in PRICED or campaign.estimated_cost is None:
        return None
    summary = price_summary(campaign)
    summary["shortfall"] = summary["totalPrice"] - summary["availableCredit"]
    return summary


def _confirmed_message(campaign: Campaign) -> str:
    if campaign.simulation:
        return _("Simulation confirmed: nothing will be sent and nothing was charged.")
    if campaign.scheduled_at:
        return _(
            "Campaign scheduled for %(when)s. %(amount)s %(currency)s of your credit "
            "is reserved until then; cancel to get it back."
        ) % {
            "when": format_when(campaign.scheduled_at, "long"),
            "amount": format_amount(campaign.reserved_amount),
            "currency": campaign.account.currency,
        }
    return _("Campaign confirmed. Sending starts now.")


@account_required
@in_account_timezone
@require_http_methods(["GET", "POST"])
def campaign_confirm_step(request: AccountRequest, pk: int) -> HttpResponse:
    """Show credit X, this campaign Y, after sending Z; confirm now or for later."""
    campaign = load_campaign(request, pk)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        later = form.cleaned_data["when"] == ConfirmForm.LATER
        when = form.cleaned_data["scheduled_at"] if later else None
        try:
            campaign = campaign_confirm(
                account=request.account,
                pk=pk,
                send_immediately=not later,
                scheduled_at=when,
                actor=request.user,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _confirmed_message(campaign))
            if warning := maintenance_warning(
                account=request.account, when=campaign.scheduled_at
            ):
                messages.warning(request, warning)
            return go(request, campaign.get_absolute_url())
    context = {
        "campaign": campaign,
        "form": form,
        "summary": _summary(campaign),
        "is_confirmable": campaign.status == Status.COST_CALCULATED,
        "steps": wizard_steps(campaign, "confirm"),
    }
    status = 422 if form.is_bound else 200
    return render(
        request, template_for(request, PAGE, "confirm-form"), context, status=status
    )


def _schedule_note(request: AccountRequest) -> dict[str, Any]:
    """What to say about the time being picked: when it is, or why not then."""
    form = ConfirmForm({"when": ConfirmForm.LATER, **request.GET.dict()})
    if not request.GET.get("scheduled_at"):
        return {}
    if not form.is_valid():
        return {"problem": form.errors.get("scheduled_at", [""])[0]}
    when: datetime = form.cleaned_data["scheduled_at"]
    if when <= timezone.now():
        return {"problem": _("That time has passed: choose one in the future.")}
    return {
        "when": when,
        "warning": maintenance_warning(account=request.account, when=when),
    }


@account_required
@in_account_timezone
@require_GET
def campaign_schedule_check(request: AccountRequest, pk: int) -> HttpResponse:
    """Live note under the date picker: the time in words, or the maintenance hours."""
    campaign = load_campaign(request, pk)
    context = {"campaign": campaign, "note": _schedule_note(request)}
    return render(request, f"{PAGE}#schedule-note", context)
