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
from campaigns import services
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
    PriceOut,
    aware,
    body_doc,
    calculation_out,
    campaign_out,
    confirmation_out,
    optional_body,
    settings_from,
)
from campaigns.selectors import campaign_get, campaigns_for_account
from campaigns.states import Status as CampaignStatus
from messaging.models import Channel

router = DualRouter(tags=["Campaigns"])
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
