"""Campaign endpoints of both product documents, thin over `campaigns.services`.

Bodies and their mapping to the domain live in `campaigns.schemas`; each handler
parses, calls one service inside `errors_named_as_sent`, and maps the result.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_errors import errors_named_as_sent
from accounts.api_routing import DualRouter
from accounts.errors import DomainError
from campaigns import sending, services
from campaigns.exporting import messages_export_response
from campaigns.pricing import price_summary
from campaigns.schemas import (
    API_NAMES,
    CalculateIn,
    CalculateOut,
    CampaignIn,
    CampaignOut,
    ConfirmIn,
    ConfirmOut,
    ListFilters,
    MessagesPage,
    PriceOut,
    StatsOut,
    TestSendIn,
    TestSendOut,
    Uc006StatsOut,
    Uc006StatsPage,
    aware,
    body_doc,
    calculation_out,
    campaign_out,
    confirmation_out,
    message_out,
    optional_body,
    settings_from,
    stats_out,
    uc006_stats_out,
)
from campaigns.selectors import (
    campaign_get,
    campaign_messages_page,
    campaigns_for_account,
)
from campaigns.states import Status as CampaignStatus
from campaigns.stats import campaign_stats
from campaigns.trials import campaign_test_send
from messaging.links import clicked_at
from messaging.models import Channel

router = DualRouter(tags=["Campaigns"])
# Ids are 64-bit: a larger number is a 400, not a database error.
MAX_ID = 2**63 - 1
ERRORS = {400: Fail, 401: Fail, 402: Fail, 404: Fail, 409: Fail}
# A schedule stored at creation is checked at confirm: an empty confirm body names
# it as the guide's create did; a body naming neither uses UC-006's confirm field.
CONFIRM_NAMES = {**API_NAMES, "scheduled_at": ("scheduledDate", "scheduledTime")}


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
def campaign_create(request: HttpRequest, payload: CampaignIn):
    """Create a campaign: DRAFT, or CONFIGURED when name, channel, message and list are all given."""
    with errors_named_as_sent(payload.model_fields_set, API_NAMES):
        channel = str(payload.channel or Channel.SMS).upper()
        given = settings_from(payload, account=request.account, channel=channel)
        campaign = services.campaign_create(account=request.account, **given)
    return Status(201, campaign_out(campaign))


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS})
def campaign_list(request: HttpRequest, filters: Query[ListFilters]):
    """The account's campaigns, newest first; filter by status, channel or a search."""
    status = filters.status.upper()
    if status and status not in CampaignStatus.values:
        raise DomainError({"status": "Use one of " + ", ".join(CampaignStatus.values)})
    campaigns = campaigns_for_account(
        account=request.account,
        status=status,
        channel=filters.channel,
        search=filters.q,
    )
    return [campaign_out(c) for c in campaigns[:200]]


@router.get("/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS})
def campaign_detail(request: HttpRequest, campaign_id: int):
    return campaign_out(campaign_get(account=request.account, pk=campaign_id))


@router.api_operation(
    ["PUT", "PATCH"],
    "/campaigns/{int:campaign_id}",
    response={200: CampaignOut, **ERRORS},
)
def campaign_update(request: HttpRequest, campaign_id: int, payload: CampaignIn):
    """Change settings before confirmation (409 once confirmed)."""
    current = campaign_get(account=request.account, pk=campaign_id)
    with errors_named_as_sent(payload.model_fields_set, API_NAMES):
        channel = str(payload.channel or current.channel).upper()
        given = settings_from(payload, account=request.account, channel=channel)
        campaign = services.campaign_update(
            account=request.account, pk=campaign_id, **given
        )
    return campaign_out(campaign)


@router.delete("/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS})
def campaign_cancel(request: HttpRequest, campaign_id: int):
    """Cancel before sending; a reservation goes back to the credit."""
    campaign = services.campaign_cancel(account=request.account, pk=campaign_id)
    return campaign_out(campaign)


@router.post(
    "/campaigns/{int:campaign_id}/calculateGoal",
    response={200: CalculateOut, **ERRORS},
    openapi_extra=body_doc(CalculateIn),
)
def campaign_calculate(request: HttpRequest, campaign_id: int):
    """Validate the recipients and estimate parts and cost (COST_CALCULATED)."""
    body = optional_body(request, CalculateIn)
    with errors_named_as_sent(body.model_fields_set, API_NAMES):
        campaign = services.campaign_calculate(
            account=request.account,
            pk=campaign_id,
            goal_contact_count=body.goalContactCount,
        )
    return calculation_out(campaign)


@router.get("/campaigns/{int:campaign_id}/price", response={200: PriceOut, **ERRORS})
def campaign_price(request: HttpRequest, campaign_id: int):
    """The price against the account's credit (409 until the cost is calculated)."""
    campaign = campaign_get(account=request.account, pk=campaign_id)
    return price_summary(campaign)


@router.api_operation(
    ["PUT", "POST"],
    "/campaigns/{int:campaign_id}/confirm",
    response={200: ConfirmOut, **ERRORS},
    openapi_extra=body_doc(ConfirmIn),
)
def campaign_confirm(request: HttpRequest, campaign_id: int):
    """Confirm now (`sendImmediately`) or for `scheduledDate`; reserves the price (402 if short)."""
    body = optional_body(request, ConfirmIn)
    when = aware(request.account.timezone, body.scheduledDate or body.scheduledTime)
    with errors_named_as_sent(
        body.model_fields_set or {"scheduledTime"}, CONFIRM_NAMES
    ):
        campaign = services.campaign_confirm(
            account=request.account,
            pk=campaign_id,
            send_immediately=body.sendImmediately,
            scheduled_at=when,
            simulation=body.simulation,
        )
    warning = services.maintenance_warning(
        account=request.account, when=campaign.scheduled_at
    )
    return confirmation_out(campaign, warning=warning)


def _stats_campaign(request: HttpRequest, campaign_id: int):
    campaign = campaign_get(account=request.account, pk=campaign_id)
    campaign.account = request.account
    return campaign_stats(campaign)


@router.get("/campaigns/{int:campaign_id}/stats", response={200: StatsOut, **ERRORS})
def campaign_stats_api(request: HttpRequest, campaign_id: int):
    """Delivery statistics in the guide's shape; rates are fractions of `sent`."""
    return stats_out(_stats_campaign(request, campaign_id))


@router.get(
    "/campaigns/stats", response={200: Uc006StatsOut | Uc006StatsPage, **ERRORS}
)
def campaigns_stats_api(
    request: HttpRequest, campaignId: int | None = Query(None, ge=1, le=MAX_ID)
):
    """UC-006's statistics of one campaign (`?campaignId=`), or of the latest 50."""
    if campaignId is not None:
        return uc006_stats_out(_stats_campaign(request, campaignId))
    campaigns = campaigns_for_account(account=request.account)[:50]
    pages = []
    for campaign in campaigns:
        campaign.account = request.account
        pages.append(uc006_stats_out(campaign_stats(campaign)))
    return {"campaigns": pages}


@router.get(
    "/campaigns/{int:campaign_id}/messages", response={200: MessagesPage, **ERRORS}
)
def campaign_messages_api(
    request: HttpRequest,
    campaign_id: int,
    status: str = "",
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
):
    """Per-recipient results in send order, a page at a time (`nextCursor`)."""
    campaign = campaign_get(account=request.account, pk=campaign_id)
    page = campaign_messages_page(
        campaign=campaign, status=status, after=cursor, size=limit
    )
    clicks = clicked_at([m.client_ref for m in page.items])
    return {
        "messages": [
            message_out(m, clicked=clicks.get(m.client_ref)) for m in page.items
        ],
        "nextCursor": str(page.next_after) if page.next_after else None,
    }


@router.get(
    "/campaigns/{int:campaign_id}/messages/export",
    response={200: None, **ERRORS},
)
def campaign_messages_export_api(request: HttpRequest, campaign_id: int):
    """Every recipient's result as CSV (the same file as the campaign page's)."""
    return messages_export_response(
        campaign_get(account=request.account, pk=campaign_id)
    )


@router.post("/campaigns/{int:campaign_id}/test", response={200: TestSendOut, **ERRORS})
def campaign_test_send_api(request: HttpRequest, campaign_id: int, payload: TestSendIn):
    """Send the message to up to 5 numbers now (charged unless a simulation)."""
    with errors_named_as_sent({"phoneNumbers"}, API_NAMES):
        messages = campaign_test_send(
            account=request.account, pk=campaign_id, phone_numbers=payload.phoneNumbers
        )
    return {"messages": [message_out(m) for m in messages]}


def _lifecycle(action, request: HttpRequest, campaign_id: int):
    return campaign_out(action(account=request.account, pk=campaign_id))


@router.put("/campaigns/{int:campaign_id}/pause", response={200: CampaignOut, **ERRORS})
def campaign_pause_api(request: HttpRequest, campaign_id: int):
    """SENDING -> PAUSED: nothing new is sent; batches already on their way finish."""
    return _lifecycle(sending.campaign_pause, request, campaign_id)


@router.put(
    "/campaigns/{int:campaign_id}/resume", response={200: CampaignOut, **ERRORS}
)
def campaign_resume_api(request: HttpRequest, campaign_id: int):
    """PAUSED -> SENDING: the messages still queued go; nobody gets it twice."""
    return _lifecycle(sending.campaign_resume, request, campaign_id)


@router.put("/campaigns/{int:campaign_id}/stop", response={200: CampaignOut, **ERRORS})
def campaign_stop_api(request: HttpRequest, campaign_id: int):
    """Cancel what is unsent (its credit released) and complete the campaign."""
    return _lifecycle(sending.campaign_stop, request, campaign_id)
