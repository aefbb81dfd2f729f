"""A provider's call to us, whatever the route: verify, store reports and replies.

The route key in the URL picks the adapter (with the route's own secrets), which
verifies the signature and reads the body into our `Report`s and inbound
messages; both are stored for their batch jobs. The adapter may ask for its own
answer (a handshake, an empty TwiML document).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest

from accounts.inputs import storable
from messaging.gateways.base import (
    Callback,
    CallbackRequest,
    InboundMessage,
    InvalidReport,
    MalformedReport,
    Report,
)
from messaging.gateways.kinds import adapter_for
from messaging.inbound import inbound_receive
from messaging.receipts import reports_store
from messaging.routes import route_spec


def callback_receive(*, route_key: str, request: CallbackRequest) -> Callback:
    """Parse and store one call to route `route_key`'s callback URL.

    Raises KeyError for an unknown route (answer 404) and `InvalidReport` for a
    call that is not genuine (answer 403).
    """
    adapter = adapter_for(route_spec(route_key))
    try:
        callback = adapter.parse_callback(request)
    except InvalidReport:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, RecursionError) as exc:
        raise MalformedReport("malformed callback") from exc
    reports = [_cleaned(report, LIMITS) for report in callback.reports]
    inbound = [_cleaned(message, LIMITS) for message in callback.inbound]
    reports_store(gateway_key=route_key, reports=reports)
    inbound_receive(route_key=route_key, messages=inbound)
    return replace(callback, reports=reports, inbound=inbound)


# Column sizes of what a provider's text lands in (reports, replies).
LIMITS = {"provider_id": 100, "error_code": 40, "error_reason": 300, "to": 20}
Item = TypeVar("Item", Report, InboundMessage)


def _cleaned(item: Item, limits: Mapping[str, int]) -> Item:
    """`item` with every text storable and cut to its column: a provider's
    stray NUL or overlong reason must not lose the report it belongs to."""
    changes = {}
    for field in fields(item):
        value = getattr(item, field.name)
        if isinstance(value, str):
            changes[field.name] = storable(value)[: limits.get(field.name)]
    return replace(item, **changes)


def reports_receive(
    *, gateway_key: str, body: bytes, headers: Mapping[str, str]
) -> int:
    """Verify and store a POSTed batch of reports; the number stored."""
    request = CallbackRequest(method="POST", url="", headers=headers, body=body)
    return len(callback_receive(route_key=gateway_key, request=request).reports)


def _forwarded(request: HttpRequest, header: str) -> str:
    """The value the outermost trusted proxy set, or "" (see TRUSTED_PROXY_COUNT)."""
    hops = settings.TRUSTED_PROXY_COUNT
    values = [v.strip() for v in request.headers.get(header, "").split(",")]
    values = [v for v in values if v]
    return values[-hops] if hops and len(values) >= hops else ""


def callback_request(request: HttpRequest) -> CallbackRequest:
    """What the provider sent, with the URL as it called it (signatures cover it).

    Behind trusted proxies the scheme and host are the ones the outermost proxy
    received (X-Forwarded-Proto / -Host); otherwise Django's own view of them.
    """
    url = request.build_absolute_uri()
    proto = _forwarded(request, "X-Forwarded-Proto")
    host = _forwarded(request, "X-Forwarded-Host")
    if proto or host:
        scheme = proto or request.scheme
        url = f"{scheme}://{host or request.get_host()}{request.get_full_path()}"
    return CallbackRequest(
        method=request.method or "POST",
        url=url,
        headers=dict(request.headers),
        body=request.body,
        query={key: request.GET[key] for key in request.GET},
    )
