"""The account's gateways (routes) over the API: `/gateways`.

Bodies: `{"kind", "channel", "name", "settings": {...}, "default": true,
"priority"?, "enabled"?}`. Secrets in `settings` are write-only: answers show
`{"set": true, "last4": "..."}`, and a PUT that leaves one out keeps it.
Here in `campaigns` because deleting one checks the campaigns using it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_routing import DualRouter
from campaigns.routes import route_delete_unused
from messaging.models import Route
from messaging.routes import (
    RouteChanges,
    callback_url,
    is_demoted,
    route_create,
    route_get,
    route_settings_public,
    route_update,
    routes_list,
)

router = DualRouter(tags=["Gateways"])
ERRORS = {400: Fail, 401: Fail, 404: Fail, 409: Fail}


class GatewayIn(Schema):
    name: str | None = None
    settings: dict[str, Any] | None = Field(
        None, description="The kind's settings (camelCase); secrets write-only"
    )
    default: bool | None = Field(None, description="Make it the channel's default")
    priority: int | None = Field(None, description="Lower goes first on failover")
    enabled: bool | None = None


class GatewayCreateIn(GatewayIn):
    kind: str = Field(description="simulator, twilio, http-json, smpp, ...")
    channel: str = Field(description="SMS, RCS or WHATSAPP")
    name: str


class GatewayOut(Schema):
    id: int
    key: str = Field(description="The route's name in messages and stats (`r<id>`)")
    kind: str
    channel: str
    name: str
    settings: dict[str, Any]
    default: bool
    priority: int
    enabled: bool
    demoted: bool
    demotedUntil: datetime | None
    callbackUrl: str = Field(description="Give this URL to the provider")
    createdAt: datetime
    updatedAt: datetime


class GatewayList(Schema):
    gateways: list[GatewayOut]


def gateway_out(route: Route) -> dict[str, Any]:
    return {
        "id": route.pk,
        "key": route.key,
        "kind": route.kind,
        "channel": route.channel,
        "name": route.name,
        "settings": route_settings_public(route),
        "default": route.is_default,
        "priority": route.priority,
        "enabled": route.enabled,
        "demoted": is_demoted(route),
        "demotedUntil": route.demoted_until if is_demoted(route) else None,
        "callbackUrl": callback_url(route.key),
        "createdAt": route.created_at,
        "updatedAt": route.updated_at,
    }


def _changes(payload: GatewayIn) -> RouteChanges:
    return RouteChanges(
        name=payload.name,
        settings=payload.settings,
        is_default=payload.default,
        priority=payload.priority,
        enabled=payload.enabled,
    )


@router.api_operation(["POST"], "/gateways", response={201: GatewayOut, **ERRORS})
def gateway_create_api(request: HttpRequest, payload: GatewayCreateIn):
    """Add a route; the first of its channel becomes the default."""
    route = route_create(
        account=request.account,
        kind=payload.kind,
        channel=payload.channel,
        changes=_changes(payload),
    )
    return Status(201, gateway_out(route))


@router.get("/gateways", response={200: GatewayList, 401: Fail})
def gateways_list_api(request: HttpRequest):
    """The account's routes by channel, the default first."""
    return {"gateways": [gateway_out(r) for r in routes_list(account=request.account)]}


@router.get("/gateways/{int:gateway_id}", response={200: GatewayOut, **ERRORS})
def gateway_get_api(request: HttpRequest, gateway_id: int):
    return gateway_out(route_get(account=request.account, pk=gateway_id))


@router.api_operation(
    ["PUT"], "/gateways/{int:gateway_id}", response={200: GatewayOut, **ERRORS}
)
def gateway_update_api(request: HttpRequest, gateway_id: int, payload: GatewayIn):
    """Change a route; omitted fields and omitted secrets stay as they are."""
    route = route_update(
        account=request.account, pk=gateway_id, changes=_changes(payload)
    )
    return gateway_out(route)


@router.api_operation(
    ["DELETE"], "/gateways/{int:gateway_id}", response={204: None, **ERRORS}
)
def gateway_delete_api(request: HttpRequest, gateway_id: int):
    """Delete a route; 409 while an active campaign sends through it."""
    route_delete_unused(account=request.account, pk=gateway_id)
    return Status(204, None)
