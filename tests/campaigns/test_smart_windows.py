"""Send windows: each message arrives inside its recipient's local hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_confirm, campaign_create
from campaigns.windows import waiting_for_window
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import Message
from messaging.receipts import reports_apply
from messaging.zones import zone_for
from tests.campaigns.builders import priced
from tests.campaigns.conftest import make_list

WINDOW = {"days": ["MO", "TU", "WE", "TH", "FR"], "from": "09:00", "to": "20:00"}
ROWS = [
    {"phone": "+393330000001", "country": "IT"},
    {"phone": "+393330000002", "country": "IT"},
    {"phone": "+447911123456", "country": "GB"},
    {"phone": "+12125551234", "country": "US"},  # New York
    {"phone": "+14155552671", "country": "US"},  # San Francisco
]


@pytest.fixture(autouse=True)
def _instant_reports(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    settings.SEND_BATCH_SIZE = 2


def _work() -> None:
    """What the workers do at one moment: every claimable batch, every report."""
    while sending.campaign_send_batch(campaign_id=Campaign.objects.get().pk):
        pass
    while simulator_reports_send() or reports_apply():
        pass


def test_zones_come_from_the_number_prefix_or_the_account():
    assert zone_for("+393330000001", "IT", "Europe/Rome") == "Europe/Rome"
    assert zone_for("+12125551234", "US", "Europe/Rome") == "America/New_York"
    assert zone_for("+14155552671", "US", "Europe/Rome") == "America/Los_Angeles"
    london = ZoneInfo(zone_for("+447911123456", "GB", "Europe/Rome"))
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert summer.astimezone(london).utcoffset() == timedelta(hours=1)
    assert zone_for("+99912345", "", "Europe/Rome") == "Europe/Rome"


@pytest.mark.smoke
def test_each_recipient_gets_it_inside_their_own_window(account):
    contact_list = make_list(account, ROWS)
    # Wednesday 2 December 2026, 07:00 UTC: 08:00 in Rome, 02:00 in New York.
    start = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        campaign = priced(account, contact_list, send_window=WINDOW)
        campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
        assert sending.campaign_start(campaign_id=campaign.pk)
        campaign.refresh_from_db()
        assert campaign.zone_counts == {
            "Europe/Rome": 2,
            "Europe/Guernsey": 1,
            "America/New_York": 1,
            "America/Los_Angeles": 1,
        }
        for _hour in range(14):
            _work()
            sending.campaign_try_complete(campaign_id=campaign.pk)
            clock.shift(timedelta(hours=1))
        campaign.refresh_from_db()
        assert campaign.status == "COMPLETED"

    sent = {m.phone: m for m in Message.objects.filter(campaign=campaign)}
    assert len(sent) == 5
    for message in sent.values():
        local = message.submitted_at.astimezone(ZoneInfo(message.tz))
        assert 9 <= local.hour < 20, (message.phone, local)
        assert local.weekday() < 5
    # Rome opens first (08:00 UTC), San Francisco last (17:00 UTC).
    assert sent["+393330000001"].submitted_at.hour == 8
    assert sent["+447911123456"].submitted_at.hour == 9
    assert sent["+12125551234"].submitted_at.hour == 14
    assert sent["+14155552671"].submitted_at.hour == 17


def test_a_campaign_waiting_for_its_window_does_not_complete(account):
    contact_list = make_list(account, ROWS[:2])
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    with time_machine.travel(saturday, tick=False):
        campaign = priced(account, contact_list, send_window=WINDOW)
        campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
        sending.campaign_start(campaign_id=campaign.pk)
        _work()
        assert not sending.campaign_try_complete(campaign_id=campaign.pk)
        campaign.refresh_from_db()
        assert campaign.status == "SENDING"
        assert waiting_for_window(campaign, queued=2) == 2
        assert sending.campaigns_stalled() == []


def test_without_a_window_it_sends_at_any_hour(account):
    contact_list = make_list(account, ROWS)
    with time_machine.travel(datetime(2026, 12, 6, 3, 0, tzinfo=UTC), tick=False):
        campaign = priced(account, contact_list)
        campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
        sending.campaign_start(campaign_id=campaign.pk)
        _work()
        assert sending.campaign_try_complete(campaign_id=campaign.pk)


def test_the_api_sets_echoes_and_clears_the_window(api, account):
    contact_list = make_list(account, ROWS)
    created = api.post(
        "/api/partner-gateway/v1/campaigns",
        {
            "name": "Finestra",
            "channel": "sms",
            "text": "Ciao",
            "contactListId": contact_list.pk,
            "sendWindow": {"days": ["fr", "mo"], "from": "09:00", "to": "20:00"},
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sendWindow"] == {"days": ["MO", "FR"], "from": "09:00", "to": "20:00"}
    url = f"/api/partner-gateway/v1/campaigns/{body['id']}"
    assert api.get(url).json()["sendWindow"]["days"] == ["MO", "FR"]
    cleared = api.put(url, {"sendWindow": None})
    assert cleared.status_code == 200
    assert cleared.json()["sendWindow"] is None
    bad = api.put(url, {"sendWindow": {"days": ["MO"], "from": "20:00", "to": "09:00"}})
    assert bad.status_code == 400
    assert bad.json() == {
        "status": "fail",
        "data": {"sendWindow": "'to' must be later than 'from' on the same day."},
    }


def test_new_campaigns_start_with_the_accounts_window(api, account):
    assert api.get("/api/partner-gateway/v1/account").json()["sendWindow"] is None
    changed = api.put("/api/partner-gateway/v1/account", {"sendWindow": WINDOW})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["sendWindow"] == WINDOW
    created = api.post("/api/partner-gateway/v1/campaigns", {"name": "Default"})
    assert created.json()["sendWindow"] == WINDOW
    own = api.post(
        "/api/partner-gateway/v1/campaigns", {"name": "Any hour", "sendWindow": None}
    )
    assert own.json()["sendWindow"] is None
    assert (
        api.put("/api/partner-gateway/v1/account", {"sendWindow": None}).json()[
            "sendWindow"
        ]
        is None
    )


def test_the_wizard_saves_window_speed_and_canary(client_logged, account):
    contact_list = make_list(account, ROWS)
    campaign = campaign_create(account=account, name="Promo", text="Ciao")
    page = client_logged.get(f"/campaigns/{campaign.pk}/recipients/")
    assert 'data-testid="smart-sending"' in page.content.decode()
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/recipients/",
        {
            "contact_list": contact_list.pk,
            "window_days": ["MO", "TU", "WE"],
            "window_from": "09:30",
            "window_to": "19:00",
            "max_per_minute": "120",
            "use_canary": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()
    campaign.refresh_from_db()
    assert campaign.send_window == {
        "days": ["MO", "TU", "WE"],
        "from": "09:30",
        "to": "19:00",
    }
    assert campaign.max_per_minute == 120
    assert campaign.canary["percent"] == 2
    html = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "MO-WE 09:30-19:00" in html
    client_logged.post(
        f"/campaigns/{campaign.pk}/recipients/", {"contact_list": contact_list.pk}
    )
    campaign.refresh_from_db()
    assert campaign.send_window is None
    assert campaign.canary is None
    assert campaign.max_per_minute is None


def test_the_account_page_sets_the_default_window(client_logged, account):
    response = client_logged.post(
        "/account/send-window/",
        {"days": ["MO", "FR"], "start": "10:00", "end": "18:00"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.send_window == {"days": ["MO", "FR"], "from": "10:00", "to": "18:00"}
    html = client_logged.get("/account/").content.decode()
    assert "MO, FR 10:00-18:00" in html
    client_logged.post("/account/send-window/", {"start": "10:00", "end": "18:00"})
    account.refresh_from_db()
    assert account.send_window is None


def test_the_live_page_says_how_many_wait_for_the_window(client_logged, account):
    contact_list = make_list(account, ROWS)
    # Monday 14:00 UTC: open in Rome, London and New York, not in San Francisco.
    with time_machine.travel(datetime(2026, 11, 30, 14, 0, tzinfo=UTC), tick=False):
        campaign = priced(account, contact_list, send_window=WINDOW)
        campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
        sending.campaign_start(campaign_id=campaign.pk)
        _work()
        html = client_logged.get(f"/campaigns/{campaign.pk}/live/").content.decode()
    assert "Waiting for the window (1)" in html
