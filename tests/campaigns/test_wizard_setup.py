"""Wizard step 1: name, description and channel create (or edit) the campaign."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from tests.campaigns.builders import scheduled


@pytest.mark.smoke
def test_new_campaign_page_shows_the_steps(client_logged):
    response = client_logged.get("/campaigns/new/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="step"' in html
    for step in ("Campaign", "Message", "Recipients", "Cost", "Confirm"):
        assert step in html
    assert "WhatsApp" in html


@pytest.mark.smoke
def test_create_goes_on_to_the_message(client_logged, account, user):
    response = client_logged.post(
        "/campaigns/new/",
        {"name": "Black Friday 2026", "description": "-30%", "channel": "SMS"},
    )
    campaign = Campaign.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/message/"
    assert campaign.status == "DRAFT"
    assert campaign.created_by == user
    assert campaign.events.get().to_status == "DRAFT"


def test_create_with_htmx_redirects_the_client(client_logged, account):
    response = client_logged.post(
        "/campaigns/new/",
        {"name": "Promo", "channel": "WHATSAPP"},
        HTTP_HX_REQUEST="true",
    )
    campaign = Campaign.objects.get(account=account)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/campaigns/{campaign.pk}/message/"
    assert campaign.channel == "WHATSAPP"


def test_missing_name_is_an_inline_error(client_logged, account):
    response = client_logged.post(
        "/campaigns/new/", {"name": "", "channel": "SMS"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required" in html
    assert html.lstrip().startswith('<form id="setup-form"')
    assert not Campaign.objects.exists()


def test_back_to_step_one_edits_the_campaign(client_logged, account):
    client_logged.post("/campaigns/new/", {"name": "Promo", "channel": "SMS"})
    campaign = Campaign.objects.get()
    page = client_logged.get(f"/campaigns/{campaign.pk}/setup/")
    assert 'value="Promo"' in page.content.decode()
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/setup/", {"name": "Promo 2", "channel": "RCS"}
    )
    campaign.refresh_from_db()
    assert response.status_code == 302
    assert (campaign.name, campaign.channel) == ("Promo 2", "RCS")


def test_a_confirmed_campaign_cannot_be_edited(client_logged, account, contact_list):
    campaign = scheduled(account, contact_list)
    page = client_logged.get(f"/campaigns/{campaign.pk}/setup/")
    assert page.status_code == 200
    assert "can no longer be changed" in page.content.decode()
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/setup/",
        {"name": "Changed", "channel": "SMS"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "A scheduled campaign cannot be modified." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Primavera"
