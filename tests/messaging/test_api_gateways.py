"""`/gateways`: an account's routes over the API, secrets write-only."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict

from campaigns import sending
from campaigns.services import campaign_confirm
from messaging.gateways import kinds
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list

URL = "/api/partner-gateway/v1/gateways"
SECRET = "sk_live_abcdefgh1234"


class _HttpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    baseUrl: str
    apiKey: str


class _HttpKind:
    """A stand-in for an HTTP adapter: its settings name a `baseUrl`."""

    kind: ClassVar[str] = "test-http"
    channels: ClassVar[tuple[str, ...]] = ("SMS",)
    secret_fields: ClassVar[frozenset[str]] = frozenset({"apiKey"})
    Settings = _HttpSettings

    def __init__(self, spec) -> None:
        self.key = spec.key


@pytest.fixture
def http_kind(monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "test-http", _HttpKind)


def create(api, **body):
    values = {"kind": "simulator", "channel": "SMS", "name": "Main", **body}
    return api.post(URL, values)


def test_create_read_update_delete(api):
    created = create(api, settings={"signingSecret": SECRET, "rejectRate": 0.5})
    assert created.status_code == 201, created.json()
    route = created.json()
    assert route["default"] is True
    assert route["key"] == f"r{route['id']}"
    assert route["callbackUrl"].endswith(
        f"/api/partner-gateway/v1/callbacks/r{route['id']}"
    )
    assert route["settings"]["signingSecret"] == {"set": True, "last4": "1234"}
    assert route["settings"]["rejectRate"] == 0.5
    assert route["settings"]["deliveredRate"] == 0.97  # SIMULATOR_DELIVERED_RATE

    one = f"{URL}/{route['id']}"
    updated = api.put(one, {"name": "Renamed", "settings": {"rateLimit": 30}})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Renamed"
    assert updated.json()["settings"]["rateLimit"] == 30
    assert updated.json()["settings"]["signingSecret"]["set"] is True
    assert api.get(one).json()["name"] == "Renamed"
    assert [g["id"] for g in api.get(URL).json()["gateways"]] == [route["id"]]
    assert api.delete(one).status_code == 204
    assert api.get(one).status_code == 404


def test_a_secret_is_in_no_answer(api):
    route = create(api, settings={"signingSecret": SECRET}).json()
    answers = [
        api.get(URL),
        api.get(f"{URL}/{route['id']}"),
        api.put(f"{URL}/{route['id']}", {"priority": 3}),
    ]
    assert all(SECRET not in a.content.decode() for a in answers)


def test_refusals_name_their_field(api):
    assert create(api, kind="carrier-pigeon").json() == {
        "status": "fail",
        "data": {
            "kind": "Unknown kind carrier-pigeon; one of: "
            + ", ".join(sorted(kinds.KINDS))
        },
    }
    bad = create(api, settings={"deliveredRate": 2})
    assert bad.status_code == 400
    assert list(bad.json()["data"]) == ["settings.deliveredRate"]
    assert create(api, channel="FAX").status_code == 400


def test_a_kind_refuses_a_channel_it_does_not_carry(api, http_kind):
    answer = create(
        api,
        kind="test-http",
        channel="WHATSAPP",
        settings={"baseUrl": "https://example.com", "apiKey": SECRET},
    )
    assert answer.status_code == 400
    assert "channel" in answer.json()["data"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/send",
        "http://10.1.2.3/send",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
    ],
)
def test_private_provider_urls_are_refused(api, http_kind, settings, url):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False
    answer = create(api, kind="test-http", settings={"baseUrl": url, "apiKey": SECRET})
    assert answer.status_code == 400
    assert list(answer.json()["data"]) == ["settings.baseUrl"]


def test_private_urls_are_allowed_when_the_setting_says_so(api, http_kind, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    answer = create(
        api,
        kind="test-http",
        settings={"baseUrl": "http://127.0.0.1:8080", "apiKey": SECRET},
    )
    assert answer.status_code == 201
    assert answer.json()["settings"]["apiKey"] == {"set": True, "last4": "1234"}


def test_making_another_default_moves_the_default(api):
    first = create(api, name="First").json()
    second = create(api, name="Second", default=True).json()
    listed = {g["id"]: g["default"] for g in api.get(URL).json()["gateways"]}
    assert listed == {first["id"]: False, second["id"]: True}


def test_another_account_gets_404(api, other_api):
    route = create(api).json()
    one = f"{URL}/{route['id']}"
    assert other_api.get(one).status_code == 404
    assert other_api.put(one, {"name": "Mine"}).status_code == 404
    assert other_api.delete(one).status_code == 404
    assert other_api.get(URL).json() == {"gateways": []}


def test_a_route_an_active_campaign_sends_through_cannot_be_deleted(api, account):
    route = create(api).json()
    campaign = priced(account, make_list(account, italian_rows(3)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    answer = api.delete(f"{URL}/{route['id']}")
    assert answer.status_code == 409
    assert "disable" in answer.json()["data"]["id"]
    assert api.put(f"{URL}/{route['id']}", {"enabled": False}).status_code == 200
