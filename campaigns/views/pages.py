"""The campaigns list, a campaign's page, and cancelling."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import AccountRequest, account_required
from accounts.errors import DomainError
from accounts.windows import window_describe
from campaigns.models import Campaign
from campaigns.selectors import campaigns_for_account
from campaigns.services import campaign_cancel
from campaigns.states import CANCELABLE, EDITABLE, STARTED, Status
from campaigns.views.common import go, in_account_timezone, load_campaign, template_for
from campaigns.views.cost import quote_context
from campaigns.views.live import live_context
from campaigns.views.steps import next_step_url
from messaging.models import Channel

PER_PAGE = 25
# A campaign confirmed for now shows its delivery panel while it starts.
LIVE = STARTED | {Status.CONFIRMED}


@account_required
@in_account_timezone
@require_GET
def campaign_list(request: AccountRequest) -> HttpResponse:
    """The account's campaigns with status badges; filter by status and channel, search."""
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    search = request.GET.get("q", "").strip()
    campaigns = campaigns_for_account(
        account=request.account,
        status=status if status in Status.values else "",
        channel=channel if channel in Channel.values else "",
        search=search,
    )
    page = Paginator(campaigns, PER_PAGE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "page": page,
        "status": status,
        "channel": channel,
        "q": search,
        "statuses": Status.choices,
        "channels": Channel.choices,
        "filters": filters.urlencode(),
        "is_filtered": bool(status or channel or search),
    }
    template = template_for(request, "campaigns/list.html", "campaign-table")
    return render(request, template, context)


@account_required
@in_account_timezone
@require_GET
def campaign_detail(request: AccountRequest, pk: int) -> HttpResponse:
    """Settings, quote and history of one campaign; cancel while it is cancelable."""
    campaign = load_campaign(request, pk)
    context = {
        "campaign": campaign,
        "events": campaign.events.select_related("actor"),
        "is_editable": campaign.status in EDITABLE,
        "is_cancelable": campaign.status in CANCELABLE,
        "continue_url": next_step_url(campaign),
        "is_started": campaign.status in LIVE,
        "send_window_text": window_describe(campaign.send_window),
        **quote_context(campaign),
    }
    if campaign.status in LIVE:
        context.update(live_context(campaign))
    return render(request, "campaigns/detail.html", context)


def _canceled_message(campaign: Campaign, released: Decimal) -> str:
    if not released:
        return _("Campaign canceled.")
    return _("Campaign canceled. %(amount)s %(currency)s are back in your credit.") % {
        "amount": f"{released:.2f}",
        "currency": campaign.account.currency,
    }


@account_required
@require_POST
def campaign_cancel_view(request: AccountRequest, pk: int) -> HttpResponse:
    """Cancel before sending; any reserved credit comes back (a Release row)."""
    campaign = load_campaign(request, pk)
    released = campaign.reserved_amount
    try:
        campaign = campaign_cancel(account=request.account, pk=pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _canceled_message(campaign, released))
    return go(request, campaign.get_absolute_url())
