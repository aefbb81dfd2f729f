"""The campaigns list (badges, filters, search) and a campaign's page (settings,
quote, history, cancel)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry
from campaigns.services import campaign_create
from tests.campaigns.builders import configured, priced, scheduled


@pytest.mark.smoke
def test_list_shows_campaigns_with_status_badges(client_logged, account, contact_list):
    configured(account, contact_list, name="Saldi estivi")
    campaign_create(account=account, name="Bozza", channel="whatsapp")
    response = client_logged.get("/campaigns/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saldi estivi" in html
    assert '<span class="badge status-configured">Configured</span>' in html
    assert '<span class="badge status-draft">Draft</span>' in html


def test_list_is_empty_with_a_call_to_action(client_logged):
    html = client_logged.get("/campaigns/").content.decode()
    assert "Create your first campaign" in html


def test_filters_and_search(client_logged, account, contact_list):
    configured(account, contact_list, name="Saldi estivi")
    campaign_create(account=account, name="Black Friday", channel="rcs")
    by_status = client_logged.get("/campaigns/", {"status": "DRAFT"}).content.decode()
    assert "Black Friday" in by_status
    assert "Saldi estivi" not in by_status
    by_channel = client_logged.get("/campaigns/", {"channel": "SMS"}).content.decode()
    assert "Saldi estivi" in by_channel
    assert "Black Friday" not in by_channel
    searched = client_logged.get(
        "/campaigns/", {"q": "friday"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert searched.lstrip().startswith('<section id="campaign-table"')
    assert "Black Friday" in searched
    assert "Saldi estivi" not in searched
    none = client_logged.get("/campaigns/", {"q": "zzz"}).content.decode()
    assert "No campaign matches these filters." in none


def test_list_hides_other_accounts(client_logged, other_account):
    campaign_create(account=other_account, name="Not yours")
    assert "Not yours" not in client_logged.get("/campaigns/").content.decode()


def test_list_queries_do_not_grow_with_campaigns(
    client_logged, account, contact_list, django_assert_num_queries
):
    for i in range(30):
        configured(account, contact_list, name=f"C{i}")
    # session, user, membership, accounts of the user (switcher), count, page
    with django_assert_num_queries(6):
        response = client_logged.get("/campaigns/")
    assert "Page 1 of 2" in response.content.decode()
    page_two = client_logged.get("/campaigns/", {"status": "CONFIGURED", "page": 2})
    assert "status=CONFIGURED&amp;page=1" in page_two.content.decode()


@pytest.mark.smoke
def test_detail_shows_settings_quote_and_history(client_logged, account, contact_list):
    campaign = scheduled(account, contact_list, sender="ShopItalia")
    response = client_logged.get(f"/campaigns/{campaign.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "ShopItalia" in html
    assert "Clienti" in html
    assert 'data-testid="status">Scheduled<' in html
    assert 'data-testid="recipients-total">10<' in html
    assert 'data-testid="reserved">0.35 EUR<' in html
    assert "Created as" in html
    assert '<span class="badge status-cost_calculated">Cost calculated</span>' in html
    assert "Cancel campaign" in html


def test_detail_of_a_draft_offers_to_continue(client_logged, account):
    campaign = campaign_create(account=account, name="Bozza")
    html = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'href="/campaigns/{campaign.pk}/message/">Continue setup' in html


def test_cancel_releases_the_reservation(client_logged, account, contact_list, user):
    campaign = scheduled(account, contact_list)
    account.refresh_from_db()
    assert account.balance == Decimal("1499.65")
    response = client_logged.post(f"/campaigns/{campaign.pk}/cancel/", follow=True)
    html = response.content.decode()
    campaign.refresh_from_db()
    account.refresh_from_db()
    assert campaign.status == "CANCELED"
    assert account.balance == Decimal("1500.00")
    assert "0.35 EUR are back in your credit" in html
    release = LedgerEntry.objects.get(account=account, kind="release")
    assert (release.amount, release.actor) == (Decimal("0.35"), user)
    assert "Cancel campaign" not in html


def test_cancel_twice_is_a_flash_not_a_crash(client_logged, account, contact_list):
    campaign = priced(account, contact_list)
    client_logged.post(f"/campaigns/{campaign.pk}/cancel/")
    response = client_logged.post(f"/campaigns/{campaign.pk}/cancel/", follow=True)
    assert "A canceled campaign cannot be canceled." in response.content.decode()
    assert LedgerEntry.objects.filter(kind="release").count() == 0


def test_cancel_needs_post(client_logged, account):
    campaign = campaign_create(account=account, name="Bozza")
    assert client_logged.get(f"/campaigns/{campaign.pk}/cancel/").status_code == 405


def test_another_accounts_campaign_is_404(client_logged, other_account):
    campaign = campaign_create(account=other_account, name="Not yours")
    assert client_logged.get(f"/campaigns/{campaign.pk}/").status_code == 404


def test_dashboard_card_and_activity(client_logged, account, contact_list):
    scheduled(account, contact_list, name="Natale")
    html = client_logged.get("/").content.decode()
    assert 'data-testid="campaigns-card"' in html
    assert "1 <small>active" in html
    assert "Campaign “Natale”: Scheduled" in html
    assert 'href="/campaigns/"' in html  # the nav link


def test_a_stopped_campaign_reads_as_stopped_and_costs_what_was_sent(
    client_logged, account, settings
):
    from campaigns import sending
    from campaigns.services import campaign_confirm
    from tests.campaigns.conftest import italian_rows, make_list

    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    campaign = priced(account, make_list(account, italian_rows(4)), name="Natale")
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    client_logged.post(f"/campaigns/{campaign.pk}/stop/")  # nothing sent yet

    campaign.refresh_from_db()
    assert campaign.status == "COMPLETED"
    listing = client_logged.get("/campaigns/").content.decode()
    assert "Completed (stopped)" in listing
    assert "0.14" not in listing  # the quote; nothing was sent, nothing paid
    assert "0.00" in listing
    page = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Completed (stopped)" in page
