"""Delivery reports from the routes: one endpoint per gateway, signed, not keyed.

A route authenticates with its own signature over the body (the simulator:
HMAC-SHA256 over timestamp and body; stale timestamps are refused), never with
an account's API key. The body is stored as reports and applied in batches.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_routing import DualRouter
from accounts.errors import DomainError, NotFound
from messaging.gateways.base import InvalidReport
from messaging.receipts import reports_receive

router = DualRouter(tags=["Delivery reports"])


@router.post(
    "/delivery-reports/{gateway}",
    response={202: dict, 400: Fail, 401: Fail, 404: Fail},
    auth=None,
)
def delivery_reports_api(request: HttpRequest, gateway: str):
    """Take a route's delivery reports (202); refused unless correctly signed."""
    try:
        count = reports_receive(
            gateway_key=gateway, body=request.body, headers=dict(request.headers)
        )
    except KeyError as exc:
        raise NotFound("gateway") from exc
    except InvalidReport as exc:
        raise DomainError({"signature": str(exc)}, status_code=401) from exc
    return Status(202, {"received": count})
