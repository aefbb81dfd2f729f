"""SMPP fixtures: the loopback SMSC, a route's settings, messages queued on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import connection

from accounts.models import Account
from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_confirm
from messaging.gateways.base import InboundMessage, RouteSpec
from messaging.gateways.smpp.bind import Bind
from messaging.models import Message
from messaging.segments import analyze
from tests.campaigns.builders import priced
from tests.campaigns.conftest import make_list
from tests.fakes.smpp_server import FakeSmsc

ROUTE = "r-smpp"


@pytest.fixture
def smsc() -> Iterator[FakeSmsc]:
    server = FakeSmsc()
    yield server
    server.close()


def route_settings(smsc: FakeSmsc, **extra) -> dict:
    return {
        "host": "127.0.0.1",
        "port": smsc.port,
        "systemId": smsc.system_id,
        "password": smsc.password,
        "enquireLinkSeconds": 5,
        "reconnectMinSeconds": 0.2,
        "reconnectMaxSeconds": 1,
        "throttleBackoffSeconds": 0.3,
        "submitIdFormat": "hex",
        "receiptIdFormat": "decimal",
        **extra,
    }


def queue_single(account: Account, phone: str, text: str, sender: str = "Megafono"):
    """A single send (no campaign) queued on the SMPP route."""
    info = analyze(text)
    return Message.objects.create(
        account=account,
        phone=phone,
        country="IT",
        sender=sender,
        text=text,
        parts=info.parts,
        encoding=info.encoding,
        unit_price=Decimal("0.035"),
        price=Decimal("0.035") * info.parts,
        gateway=ROUTE,
        client_ref=uuid4(),
    )


def sending_campaign(account: Account, count: int, text: str) -> Campaign:
    """A SENDING campaign of `count` recipients routed through the SMPP route."""
    rows = [{"phone": f"+39333{i:07d}", "country": "IT"} for i in range(count)]
    campaign = priced(account, make_list(account, rows), text=text)
    Campaign.objects.filter(pk=campaign.pk).update(gateway=ROUTE)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    return campaign


class RunningBind:
    """A bind in a thread of the test process, with its replies collected."""

    def __init__(self, settings: dict) -> None:
        self.inbound: list[InboundMessage] = []
        spec = RouteSpec(key=ROUTE, kind="smpp", channel="SMS", settings=settings)
        self.bind = Bind(
            spec,
            inbound=lambda _key, items: self.inbound.extend(items),
            stop_grace=1.0,
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None
        self.thread.start()

    def _run(self) -> None:
        try:
            self.bind.run()
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
        finally:
            connection.close()

    def stop(self) -> None:
        self.bind.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        if self.error:
            raise self.error


@pytest.fixture
def run_bind() -> Iterator:
    started: list[RunningBind] = []

    def start(settings: dict) -> RunningBind:
        started.append(RunningBind(settings))
        return started[-1]

    yield start
    for running in started:
        if running.thread.is_alive():
            running.stop()
