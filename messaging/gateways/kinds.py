"""Every adapter class by its `kind`: what a route's `kind` names."""

from __future__ import annotations

from messaging.gateways.simulator.gateway import SimulatorGateway
from messaging.gateways.smpp.gateway import SmppGateway

KINDS: dict[str, type] = {
    "simulator": SimulatorGateway,
    "smpp": SmppGateway,
}
