"""Calls from the routes: delivery reports and replies, signed, not keyed.

A route authenticates with its own signature (the simulator: HMAC-SHA256 over
timestamp and body, stale timestamps refused; Twilio: `X-Twilio-Signature`, ...),
never with an account's API key. What it sent is stored and applied in batches.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_routing import DualRouter
from accounts.errors import DomainError, NotFound
from messaging.callbacks import callback_receive, callback_request, reports_receive
from messaging.gateways.base import InvalidReport, MalformedReport

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
    except MalformedReport as exc:
        raise DomainError({"body": str(exc)}) from exc
    except InvalidReport as exc:
        raise DomainError({"signature": str(exc)}, status_code=401) from exc
    return Status(202, {"received": count})


@router.api_operation(
    ["GET", "POST"],
    "/callbacks/{route_key}",
    response={200: dict, 400: Fail, 403: Fail, 404: Fail},
    auth=None,
)
def callbacks_api(request: HttpRequest, route_key: str):
    """A route's provider reporting statuses or replies (its callback URL).

    Answers what the provider expects when the adapter says (a handshake), else
    200 with the counts; 403 when the call is not genuine, 404 for no such route.
    """
    try:
        callback = callback_receive(
            route_key=route_key, request=callback_request(request)
        )
    except KeyError as exc:
        raise NotFound("gateway") from exc
    except MalformedReport as exc:
        raise DomainError({"body": str(exc)}) from exc
    except InvalidReport as exc:
        raise DomainError({"signature": str(exc)}, status_code=403) from exc
    if callback.response is not None:
        status, content_type, body = callback.response
        return HttpResponse(body, status=status, content_type=content_type)
    return {"reports": len(callback.reports), "inbound": len(callback.inbound)}
