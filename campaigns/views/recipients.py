"""Wizard step 3: which contact list, and optionally how many of its recipients."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.decorators import AccountRequest, account_required
from campaigns.composer import preview_for
from campaigns.forms import RecipientsForm
from campaigns.states import EDITABLE
from campaigns.views.common import (
    go,
    in_account_timezone,
    load_campaign,
    save_step,
    template_for,
)
from campaigns.views.steps import wizard_steps

PAGE = "campaigns/recipients.html"


@account_required
@in_account_timezone
@require_http_methods(["GET", "POST"])
def campaign_recipients(request: AccountRequest, pk: int) -> HttpResponse:
    """Choose the list (its counts shown), preview the message for its contacts."""
    campaign = load_campaign(request, pk)
    data = request.POST if request.method == "POST" else None
    form = RecipientsForm(
        data,
        initial=RecipientsForm.initial_for(campaign),
        account=request.account,
        canary=campaign.canary,
    )
    if save_step(request, campaign, form):
        return go(request, reverse("campaigns:cost", args=[pk]))
    chosen = campaign.contact_list
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["contact_list"]
    context = {
        "campaign": campaign,
        "form": form,
        "lists": form.fields["contact_list"].queryset,
        "chosen": chosen,
        "preview": preview_for(
            campaign.text,
            contact_list=chosen,
            channel=campaign.channel,
            unicode=campaign.unicode,
            transliterate=campaign.transliterate_fields,
        ),
        "steps": wizard_steps(campaign, "recipients"),
        "is_locked": campaign.status not in EDITABLE,
    }
    status = 422 if form.is_bound else 200
    return render(
        request, template_for(request, PAGE, "recipients-form"), context, status=status
    )
