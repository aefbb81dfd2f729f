"""The completion forecast and the campaign's own speed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.windows import SendWindow
from campaigns import sending
from campaigns.forecast import simulate
from campaigns.services import campaign_confirm
from campaigns.stats import campaign_stats
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list

WEEKDAYS = {"days": ["MO", "TU", "WE", "TH", "FR"], "from": "09:00", "to": "20:00"}


def test_without_a_window_it_is_messages_over_pace():
    start = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    finish, per_hour = simulate({"UTC": 3000}, window=None, rate=10, start=start)
    assert finish == start + timedelta(seconds=300)
    assert per_hour == {start: 3000}


def test_closed_hours_are_skipped_and_zones_open_in_turn():
    window = SendWindow.from_json(WEEKDAYS)
    # Friday 19:00 UTC: Rome (20:00) has just closed, New York (14:00) is open.
    start = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
    counts = {"Europe/Rome": 36000, "America/New_York": 3600}
    finish, per_hour = simulate(counts, window=window, rate=1, start=start)
    # New York's 3,600 go in the first hour; Rome waits for Monday 09:00 (08:00
    # UTC) and needs ten hours at 1 a second.
    assert per_hour[start] == 3600
    assert finish == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert sum(per_hour.values()) == 39600


def test_calculate_goal_answers_duration_and_completion(api, account, settings):
    settings.SEND_RATE_PER_SECOND = 50
    contact_list = make_list(account, italian_rows(120))
    created = api.post(
        "/api/partner-gateway/v1/campaigns",
        {
            "name": "Lento",
            "channel": "sms",
            "text": "Ciao",
            "contactListId": contact_list.pk,
            "maxPerMinute": 60,
        },
    ).json()
    assert created["maxPerMinute"] == 60
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        body = api.post(
            f"/api/partner-gateway/v1/campaigns/{created['id']}/calculateGoal"
        ).json()
    assert body["estimatedDuration"] == "2 minutes"
    assert body["estimatedDurationSeconds"] == 120
    assert body["estimatedCompletionTime"] == "2026-12-02T10:02:00Z"
    assert body["forecast"]["limitedBy"] == "speed"
    assert body["forecast"]["perHour"] == [["2026-12-02T10:00:00+00:00", 120]]


def test_the_route_limit_and_parts_set_the_pace(api, account, settings):
    settings.GATEWAY_RATE_LIMITS = {"simulator": 2}  # SMS parts a second
    contact_list = make_list(account, italian_rows(60))
    created = api.post(
        "/api/partner-gateway/v1/campaigns",
        {
            "name": "Due parti",
            "channel": "sms",
            "text": "x" * 200,  # two parts
            "contactListId": contact_list.pk,
        },
    ).json()
    body = api.post(
        f"/api/partner-gateway/v1/campaigns/{created['id']}/calculateGoal"
    ).json()
    assert body["forecast"]["limitedBy"] == "route"
    assert body["estimatedDurationSeconds"] == 60


def test_spread_over_hours_is_a_pace(api, account):
    contact_list = make_list(account, italian_rows(36))
    created = api.post(
        "/api/partner-gateway/v1/campaigns",
        {
            "name": "Spread",
            "channel": "sms",
            "text": "Ciao",
            "contactListId": contact_list.pk,
            "spreadHours": 2,
        },
    ).json()
    body = api.post(
        f"/api/partner-gateway/v1/campaigns/{created['id']}/calculateGoal"
    ).json()
    assert body["estimatedDurationSeconds"] == 7200
    both = api.put(
        f"/api/partner-gateway/v1/campaigns/{created['id']}", {"maxPerMinute": 5}
    )
    assert both.status_code == 400
    assert "maxPerMinute" in both.json()["data"]


def test_the_campaign_bucket_holds_it_to_its_speed(account, settings):
    settings.SEND_BATCH_SIZE = 500
    contact_list = make_list(account, italian_rows(10))
    campaign = priced(account, contact_list, max_per_minute=120)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    assert sending.batch_size_for(campaign.pk) == 2  # a second's worth
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 2
    with pytest.raises(sending.Throttled) as throttled:
        sending.campaign_send_batch(campaign_id=campaign.pk)
    assert 0 < throttled.value.wait <= 1
    assert campaign_stats(campaign).sent == 2


def test_the_cost_step_shows_the_finish_and_its_chart(client_logged, account):
    contact_list = make_list(account, italian_rows(30))
    campaign = priced(account, contact_list, send_window=WEEKDAYS)
    html = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert 'data-testid="forecast-finish"' in html
    assert "each recipient&#x27;s local time" in html or "local time" in html
    chart = client_logged.get(f"/campaigns/{campaign.pk}/chart/forecast.svg")
    assert chart.status_code == 200
    assert chart["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in chart.content


def test_stats_forecast_the_rest_through_the_windows(api, account):
    contact_list = make_list(account, italian_rows(5))
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    with time_machine.travel(saturday, tick=False):
        campaign = priced(account, contact_list, send_window=WEEKDAYS)
        campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
        sending.campaign_start(campaign_id=campaign.pk)
        body = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    # Nothing may go before Monday 09:00 in Rome (08:00 UTC).
    finish = datetime.fromisoformat(body["estimatedCompletionTime"])
    assert datetime(2026, 12, 7, 8, 0, tzinfo=UTC) <= finish
    assert finish < datetime(2026, 12, 7, 8, 1, tzinfo=UTC)
