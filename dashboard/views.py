"""The dashboard home page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.decorators import AccountRequest, account_required
from campaigns.selectors import (
    campaign_overview,
    campaigns_paused_with_reason,
    recurring_overview,
)
from contacts.selectors import contacts_overview
from dashboard.activity import recent_activity


@account_required
def home(request: AccountRequest) -> HttpResponse:
    """Credit at a glance, lists, campaigns, recurring runs that were skipped and
    what happened lately in the account."""
    context = {
        "activity": recent_activity(account=request.account),
        "contacts": contacts_overview(account=request.account),
        "overview": campaign_overview(account=request.account),
        "recurring": recurring_overview(account=request.account),
        "paused": campaigns_paused_with_reason(account=request.account),
    }
    return render(request, "dashboard/home.html", context)
