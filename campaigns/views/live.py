"""A sending campaign watched live: counters, progress, charts, pause/resume/stop."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HTMX_STOP_POLLING, HttpResponseClientRefresh

from accounts.decorators import AccountRequest, account_required
from accounts.windows import window_describe
from campaigns import sending
from campaigns.canary import canary_figures, canary_state
from campaigns.charts import forecast_chart, outcome_chart, progress_chart
from campaigns.exporting import messages_export_response
from campaigns.models import Campaign
from campaigns.states import Status
from campaigns.stats import campaign_stats
from campaigns.views.common import go, in_account_timezone, load_campaign
from campaigns.windows import waiting_for_window
from contacts.exporting import Format
from messaging.links import link_stats
from messaging.tallies import failures_for


def live_context(campaign: Campaign) -> dict:
    """What the delivery panel shows; every figure comes from the tallies."""
    stats = campaign_stats(campaign)
    return {
        "stats": stats,
        "percent_done": round(100 * stats.done / stats.total) if stats.total else 0,
        "percent_sent": round(100 * stats.sent / stats.total) if stats.total else 0,
        "delivery_rate": round(100 * stats.rate(stats.delivered), 1),
        "failures": failures_for(campaign.pk),
        "waiting_for_window": waiting_for_window(campaign, queued=stats.queued)
        if campaign.status == Status.SENDING
        else 0,
        "send_window_text": window_describe(campaign.send_window),
        "canary_state": canary_state(campaign),
        "canary": canary_figures(campaign) if campaign.canary else None,
        "links": link_stats(campaign.pk) if campaign.has_links else None,
        "is_live": campaign.status in {Status.CONFIRMED, Status.SENDING, Status.PAUSED}
        or (campaign.status == Status.COMPLETED and stats.awaiting > 0),
    }


@account_required
@in_account_timezone
@require_GET
def campaign_live(request: AccountRequest, pk: int) -> HttpResponse:
    """The delivery panel alone, polled by HTMX; 286 stops the polling when final."""
    campaign = load_campaign(request, pk)
    shown = request.GET.get("shown", campaign.status)
    if shown != campaign.status:
        # The status moved since the page was drawn: its badge, buttons, credit
        # and history are stale too, so the whole page is drawn again.
        return HttpResponseClientRefresh()
    context = {"campaign": campaign, **live_context(campaign)}
    response = render(request, "campaigns/detail.html#delivery-panel", context)
    if not context["is_live"]:
        response.status_code = HTMX_STOP_POLLING
    return response


@account_required
@require_POST
def campaign_pause_view(request: AccountRequest, pk: int) -> HttpResponse:
    campaign = sending.campaign_pause(
        account=request.account, pk=pk, actor=request.user
    )
    messages.success(request, _("Paused: nothing new is sent until you resume."))
    return go(request, campaign.get_absolute_url())


@account_required
@require_POST
def campaign_resume_view(request: AccountRequest, pk: int) -> HttpResponse:
    campaign = sending.campaign_resume(
        account=request.account, pk=pk, actor=request.user
    )
    messages.success(request, _("Sending again: only the messages not sent yet go."))
    return go(request, campaign.get_absolute_url())


@account_required
@require_POST
def campaign_stop_view(request: AccountRequest, pk: int) -> HttpResponse:
    campaign = sending.campaign_stop(account=request.account, pk=pk, actor=request.user)
    messages.success(
        request, _("Stopped: unsent messages were canceled and their credit released.")
    )
    return go(request, campaign.get_absolute_url())


# pygal styles its SVG with an inline <style>; loaded as an image it can run
# nothing, so only these responses allow inline style.
_SVG_POLICY = {"style-src": [UNSAFE_INLINE]}


@account_required
@in_account_timezone
@require_GET
@csp_update(_SVG_POLICY)
def campaign_chart(request: AccountRequest, pk: int, chart: str) -> HttpResponse:
    """One of the campaign's charts as an SVG image: the delivery panel's
    `progress` and `outcome`, the cost step's `forecast`."""
    campaign = load_campaign(request, pk)
    if chart == "progress":
        svg = progress_chart(campaign.pk)
    elif chart == "forecast":
        svg = forecast_chart(campaign.quote.get("forecast", {}))
    else:
        svg = outcome_chart(campaign_stats(campaign))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@account_required
@require_GET
def campaign_messages_export(
    request: AccountRequest, pk: int, fmt: Format = "csv"
) -> HttpResponse:
    """Every recipient's result as CSV or XLSX."""
    return messages_export_response(load_campaign(request, pk), fmt=fmt)
