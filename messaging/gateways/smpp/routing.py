"""Where an SMPP bind meets the rest of Megafono: routes and inbound storage.

Three narrow seams, imported when called (`messaging.routes` imports the route
kinds, this package among them), so the bind command, the supervisor and the
tests go through these alone.
"""

from __future__ import annotations

import logging

from messaging.gateways.base import InboundMessage, RouteSpec

logger = logging.getLogger(__name__)


def route_spec(key: str) -> RouteSpec:
    """The route `key` with its decrypted settings (`messaging.routes.route_spec`)."""
    from messaging.routes import route_spec as stored_route_spec

    return stored_route_spec(key)


def smpp_route_keys() -> list[str]:
    """Keys of the enabled SMPP routes, one bind process each."""
    from messaging.routes import route_keys

    return route_keys(kind="smpp")


def inbound_store(route_key: str, messages: list[InboundMessage]) -> None:
    """Store replies received on the bind (`messaging.inbound.inbound_receive`)."""
    from messaging.inbound import inbound_receive

    inbound_receive(route_key=route_key, messages=messages)
