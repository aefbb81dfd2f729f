"""Where an SMPP bind meets the rest of Megafono: routes and inbound storage.

Three narrow seams, each a lazy import of what the routes work provides
(`messaging.routes`, `messaging.inbound`), so the bind runs and is tested on
its own: the bind command and the supervisor call only these.
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
    try:
        from messaging.routes import route_keys
    except ImportError:  # no route registry on this branch yet: no SMPP routes
        return []
    return list(route_keys(kind="smpp"))


def inbound_store(route_key: str, messages: list[InboundMessage]) -> None:
    """Store replies received on the bind (`messaging.inbound.inbound_receive`)."""
    try:
        from messaging.inbound import inbound_receive
    except ImportError:  # no inbound storage on this branch yet: say what is lost
        for message in messages:
            logger.error("smpp %s: reply from %s not stored", route_key, message.phone)
        return
    inbound_receive(route_key, messages)
