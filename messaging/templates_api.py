"""WhatsApp templates of a route: sync them from Meta, list what was synced.

Nested under the gateways API (`/gateways/{id}/templates`); another account's
route id answers 404 like any object of theirs.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Schema
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_routing import DualRouter
from accounts.errors import DomainError
from messaging.models import WhatsAppTemplate
from messaging.whatsapp_templates import route_templates, templates_sync_route

router = DualRouter(tags=["Gateways"])


class TemplateOut(Schema):
    name: str
    language: str
    templateId: str  # what a campaign's `templateId` may say: "name:language"
    category: str
    status: str
    selectable: bool
    body: str
    variables: int
    syncedAt: datetime


class TemplatesOut(Schema):
    templates: list[TemplateOut]


class ProviderError(Schema):
    status: str = "error"
    message: str


class SyncOut(Schema):
    total: int
    approved: int
    removed: int


def _out(template: WhatsAppTemplate) -> dict:
    return {
        "name": template.name,
        "language": template.language,
        "templateId": template.reference,
        "category": template.category,
        "status": template.status,
        "selectable": template.is_selectable,
        "body": template.body,
        "variables": template.variables,
        "syncedAt": template.synced_at,
    }


@router.post(
    "/gateways/{gateway_id}/templates/sync",
    response={200: SyncOut, 400: Fail, 401: Fail, 404: Fail, 502: ProviderError},
)
def templates_sync_api(request: HttpRequest, gateway_id: int):
    """Fetch the route's message templates from Meta, replacing the stored ones.

    Only APPROVED templates can be picked for a campaign. Meta refusing or out
    of reach is a 502 in the 5xx form, with Meta's reason.
    """
    try:
        result = templates_sync_route(account=request.account, pk=gateway_id)
    except DomainError as exc:
        if exc.status_code < 500:
            raise
        return Status(502, {"status": "error", "message": exc.message})
    return {
        "total": result.total,
        "approved": result.approved,
        "removed": result.removed,
    }


@router.get(
    "/gateways/{gateway_id}/templates",
    response={200: TemplatesOut, 401: Fail, 404: Fail},
)
def templates_api(request: HttpRequest, gateway_id: int):
    """The route's templates as last synced, APPROVED or not (`selectable`)."""
    templates = route_templates(account=request.account, pk=gateway_id)
    return {"templates": [_out(t) for t in templates]}
