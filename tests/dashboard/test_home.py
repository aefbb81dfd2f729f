"""The dashboard: who is greeted, what a marketer checks first (issue 11, item 20)."""

from __future__ import annotations

from decimal import Decimal

from accounts.credit import credit_adjust
from campaigns.models import CampaignEvent
from campaigns.services import campaign_create


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
