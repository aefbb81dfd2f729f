"""Run one SMPP bind until SIGTERM: `manage.py smpp_bind --gateway KEY`."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from messaging.gateways.base import RouteSpec
from messaging.gateways.smpp import routing
from messaging.gateways.smpp.bind import Bind


class Command(BaseCommand):
    help = (
        "Bind to an SMPP route's SMSC as a transceiver and send its queued "
        "messages, receive its receipts and replies, until SIGTERM. One process "
        "per route: smpplib is synchronous and an SMPP session is stateful."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--gateway", required=True, help="the route's key")
        parser.add_argument(
            "--settings-file",
            type=Path,
            help="a JSON file with the route's settings, instead of the stored route",
        )

    def handle(self, *args, gateway: str, settings_file: Path | None, **options):
        if settings_file is not None:
            settings = json.loads(settings_file.read_text())
            spec = RouteSpec(key=gateway, kind="smpp", channel="SMS", settings=settings)
        else:
            spec = routing.route_spec(gateway)
        if spec.kind != "smpp":
            raise CommandError(f"route {gateway} is not an SMPP route ({spec.kind})")
        bind = Bind(spec, inbound=routing.inbound_store)
        signal.signal(signal.SIGTERM, bind.stop)
        signal.signal(signal.SIGINT, bind.stop)
        bind.run()
