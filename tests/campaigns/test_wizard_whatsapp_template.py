"""Wizard step 2 for WhatsApp: pick an approved template, map its variables to list
columns, see it filled for the first contact; a text box when none is synced."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from campaigns.services import campaign_create
from tests.campaigns.conftest import make_list
from tests.campaigns.test_whatsapp_campaign import BODY_IT, synced

ROWS = [
    {"phone": "+393330000001", "first_name": "Anna", "attributes": {"Code": "A1"}},
    {"phone": "+393330000002", "first_name": "Marco", "attributes": {"Code": "B2"}},
]


@pytest.fixture
def campaign(account) -> Campaign:
    contact_list = make_list(account, ROWS, name="Codici")
    return campaign_create(
        account=account, name="BF", channel="whatsapp", contact_list=contact_list
    )


@pytest.fixture
def templates(account) -> None:
    synced(
        account,
        ("black_friday_v2", "it", "APPROVED", BODY_IT),
        ("order_update", "en_US", "APPROVED", "Your order has shipped."),
        ("spring_sale_draft", "en_US", "PENDING", "Spring is here, {{1}}!"),
    )


def test_without_synced_templates_the_name_is_typed(client_logged, campaign):
    html = client_logged.get(f"/campaigns/{campaign.pk}/message/").content.decode()

    assert "No approved WhatsApp template is synced for this account yet" in html
    assert '<input type="text" name="template_id"' in html


def test_the_picker_offers_only_approved_templates(client_logged, campaign, templates):
    html = client_logged.get(f"/campaigns/{campaign.pk}/message/").content.decode()

    assert '<select name="template_id" id="id_template_id"' in html
    assert '<option value="black_friday_v2:it">black_friday_v2 · it</option>' in html
    assert '<option value="order_update:en_US">' in html
    assert "spring_sale_draft" not in html
    assert "No approved WhatsApp template is synced" not in html
    assert 'data-testid="template-variables"' not in html  # nothing chosen yet


def test_choosing_a_template_asks_a_column_per_variable_and_previews_it(
    client_logged, campaign, templates
):
    url = f"/campaigns/{campaign.pk}/composer/"
    chosen = client_logged.post(
        url, {"template_id": "black_friday_v2:it"}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert '<select name="variable_1" id="id_variable_1"' in chosen
    assert '<select name="variable_2" id="id_variable_2"' in chosen
    assert '<option value="code">code</option>' in chosen
    assert "No column chosen for: {{1}}, {{2}}" in chosen

    mapped = client_logged.post(
        url,
        {
            "template_id": "black_friday_v2:it",
            "variable_1": "first_name",
            "variable_2": "code",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="template-preview"' in mapped
    assert "Ciao Anna, il tuo codice A1 vale il 30% fino a domenica." in mapped
    assert '<option value="code" selected>code</option>' in mapped


def test_saving_stores_the_template_and_its_mapping(client_logged, campaign, templates):
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/message/",
        {
            "template_id": "black_friday_v2:it",
            "variable_1": "first_name",
            "variable_2": "code",
        },
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (
        campaign.template_id,
        campaign.template_language,
        campaign.template_variables,
    ) == ("black_friday_v2:it", "it", {"1": "first_name", "2": "code"})
    again = client_logged.get(f"/campaigns/{campaign.pk}/message/").content.decode()
    assert '<option value="black_friday_v2:it" selected>' in again
    assert '<option value="first_name" selected>first_name</option>' in again


def test_a_variable_without_a_column_is_refused_on_its_field(
    client_logged, campaign, templates
):
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/message/",
        {"template_id": "black_friday_v2:it", "variable_1": "first_name"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert "Choose a list column." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.template_id == ""
