"""Routes that take messages out: one package per provider, one interface (`base`)."""

from __future__ import annotations

from messaging.gateways.base import Gateway
from messaging.gateways.kinds import KINDS
from messaging.gateways.simulator.gateway import SimulatorGateway
from messaging.gateways.smpp.routing import route_spec

DEFAULT_GATEWAY = SimulatorGateway.key


def gateway_get(key: str = DEFAULT_GATEWAY) -> Gateway:
    """The route named `key`; only the simulator exists until real channels land."""
    if key == SimulatorGateway.key:
        return SimulatorGateway()
    raise KeyError(key)


def gateway_long_lived(key: str) -> bool:
    """Whether the route's own long-lived process sends its messages (an SMPP
    bind, `long_lived = True` on its class): batch dispatch must not claim them."""
    if key == SimulatorGateway.key:
        return False
    return getattr(KINDS.get(route_spec(key).kind), "long_lived", False)
