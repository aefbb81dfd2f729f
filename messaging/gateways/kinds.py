"""The route kinds: one adapter class per provider, looked up by a route's `kind`.

Each adapter package adds its one line here; nothing else needs to know the list.
"""

from __future__ import annotations

from messaging.gateways.base import Gateway, RouteSpec
from messaging.gateways.google_rbm.gateway import GoogleRbmGateway
from messaging.gateways.http_json.gateway import HttpJsonGateway
from messaging.gateways.simulator.gateway import SimulatorGateway
from messaging.gateways.smpp.gateway import SmppGateway
from messaging.gateways.twilio.gateway import TwilioGateway
from messaging.gateways.whatsapp_cloud.gateway import WhatsAppCloudGateway

KINDS: dict[str, type[Gateway]] = {
    SimulatorGateway.kind: SimulatorGateway,
    TwilioGateway.kind: TwilioGateway,
    HttpJsonGateway.kind: HttpJsonGateway,
    SmppGateway.kind: SmppGateway,
    WhatsAppCloudGateway.kind: WhatsAppCloudGateway,
    GoogleRbmGateway.kind: GoogleRbmGateway,
}


def adapter_for(spec: RouteSpec) -> Gateway:
    """The adapter for a route, built from its decrypted settings; KeyError if the
    kind is unknown (a route of a kind since removed)."""
    return KINDS[spec.kind](spec)  # type: ignore[call-arg]
