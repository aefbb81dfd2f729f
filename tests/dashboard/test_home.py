"""The dashboard: who is greeted, what a marketer checks first (issue 11, item 20)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.credit import credit_adjust
from accounts.templatetags.when import percent
from campaigns.models import Campaign, CampaignEvent
from campaigns.selectors import campaign_overview
from campaigns.services import campaign_confirm, campaign_create
from messaging.models import Message
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list
from tests.campaigns.test_sending import run_to_the_end
from tests.messaging.test_single_send import worker_and_reports


def test_the_user_is_greeted_not_the_account(client_logged, user):
    user.first_name = "Marta"
    user.save()
    html = client_logged.get("/").content.decode()
    assert "Hello, Marta" in html
    assert "Welcome, ShopItalia" not in html


def test_metrics_of_the_last_30_days(client_logged):
    html = client_logged.get("/").content.decode()
    assert 'data-testid="metrics"' in html
    assert 'data-testid="sent">0<' in html
    assert "Nothing sent yet." in html
    assert 'data-testid="spend">0.00 <' in html


def test_the_credit_pill_warns_only_when_credit_is_low(client_logged, account):
    assert 'class="credit-pill"' in client_logged.get("/").content.decode()
    credit_adjust(account=account, amount=Decimal("-1495.00"))
    assert 'class="credit-pill low"' in client_logged.get("/").content.decode()


def test_the_feed_shows_milestones_not_every_step(client_logged, account):
    campaign = campaign_create(account=account, name="Bozza", channel="SMS")
    CampaignEvent.objects.create(campaign=campaign, from_status="", to_status="DRAFT")
    html = client_logged.get("/").content.decode()
    assert "Campaign “Bozza”: Draft" not in html


def test_a_favicon_is_linked(client_logged):
    assert 'rel="icon"' in client_logged.get("/").content.decode()


@pytest.fixture
def instant_reports(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0


def _sent_campaign(account, n: int, **settings):
    campaign = priced(account, make_list(account, italian_rows(n)), **settings)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    run_to_the_end(campaign.pk)
    return campaign


@pytest.mark.usefixtures("instant_reports")
def test_the_month_counts_campaigns_and_single_sends_not_simulations_or_old_ones(
    client_logged, account, api
):
    recent = _sent_campaign(account, 20)
    _sent_campaign(account, 7, simulation=True)
    old = _sent_campaign(account, 5)
    forty_days_ago = timezone.now() - timedelta(days=40)
    Campaign.objects.filter(pk=old.pk).update(
        started_at=forty_days_ago, completed_at=forty_days_ago
    )
    Message.objects.filter(campaign=old).update(submitted_at=forty_days_ago)
    response = api.post(
        "/api/message-server/sms/send",
        {"phoneNumber": "+393901234567", "message": "Codice 1234"},
    )
    worker_and_reports(response.json()["id"])

    html = client_logged.get("/").content.decode()
    assert 'data-testid="sent">21<' in html
    delivered = Message.objects.filter(
        Q(campaign=recent) | Q(campaign__isnull=True), status="DELIVERED"
    )
    rate = percent(delivered.count() / 21)  # "95.2%"
    assert f'data-testid="delivery-rate">{rate} delivered' in html


@pytest.mark.usefixtures("instant_reports")
def test_a_campaign_still_sending_from_before_the_month_counts_what_went_since(
    account,
):
    campaign = _sent_campaign(account, 10)
    long_ago = timezone.now() - timedelta(days=45)
    Campaign.objects.filter(pk=campaign.pk).update(
        status="SENDING", started_at=long_ago, completed_at=None
    )
    early = Message.objects.filter(campaign=campaign).order_by("id")[:4]
    Message.objects.filter(pk__in=[m.pk for m in early]).update(submitted_at=long_ago)
    assert campaign_overview(account=account)["sent"] == 6
