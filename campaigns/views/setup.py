"""Wizard step 1: name, description, channel (creates the campaign, or edits it)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from accounts.forms import add_domain_errors
from campaigns.forms import SetupForm
from campaigns.models import Campaign
from campaigns.services import campaign_create
from campaigns.states import EDITABLE
from campaigns.views.common import go, load_campaign, save_step, template_for
from campaigns.views.steps import wizard_steps

PAGE = "campaigns/setup.html"


def _render(
    request: AccountRequest, form: SetupForm, campaign: Campaign | None
) -> HttpResponse:
    context = {
        "campaign": campaign,
        "form": form,
        "steps": wizard_steps(campaign, "setup"),
        "is_locked": campaign is not None and campaign.status not in EDITABLE,
    }
    status = 422 if form.is_bound else 200  # still bound here means refused
    return render(
        request, template_for(request, PAGE, "setup-form"), context, status=status
    )


@account_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: AccountRequest) -> HttpResponse:
    """Start a campaign: a DRAFT that the next steps complete."""
    form = SetupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            campaign = campaign_create(
                account=request.account, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return go(request, reverse("campaigns:message", args=[campaign.pk]))
    return _render(request, form, None)


@account_required
@require_http_methods(["GET", "POST"])
def campaign_setup(request: AccountRequest, pk: int) -> HttpResponse:
    """Change step 1 of an existing campaign (the Back button of step 2)."""
    campaign = load_campaign(request, pk)
    initial = {name: getattr(campaign, name) for name in SetupForm.base_fields}
    data = request.POST if request.method == "POST" else None
    form = SetupForm(data, initial=initial)
    if save_step(request, campaign, form):
        return go(request, reverse("campaigns:message", args=[pk]))
    return _render(request, form, campaign)
