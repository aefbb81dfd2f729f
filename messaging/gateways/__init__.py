"""Routes that take messages out: one package per provider, one interface (`base`)."""

from __future__ import annotations

from messaging.gateways.base import Gateway
from messaging.gateways.simulator.gateway import SimulatorGateway

DEFAULT_GATEWAY = SimulatorGateway.key


def gateway_get(key: str = DEFAULT_GATEWAY) -> Gateway:
    """The route named `key`; only the simulator exists until real channels land."""
    if key == SimulatorGateway.key:
        return SimulatorGateway()
    raise KeyError(key)
