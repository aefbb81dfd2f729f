"""The route kinds: one adapter class per provider, looked up by a route's `kind`.

Each adapter package adds its one line here; nothing else needs to know the list.
"""

from __future__ import annotations

from messaging.gateways.google_rbm.gateway import GoogleRbmGateway
from messaging.gateways.simulator.gateway import SimulatorGateway
from messaging.gateways.whatsapp_cloud.gateway import WhatsAppCloudGateway

KINDS: dict[str, type] = {
    "simulator": SimulatorGateway,
    WhatsAppCloudGateway.kind: WhatsAppCloudGateway,
    GoogleRbmGateway.kind: GoogleRbmGateway,
}
