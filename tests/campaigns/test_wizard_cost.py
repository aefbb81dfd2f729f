"""Wizard step 4: calculate, read the breakdown, apply the one-click fixes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from campaigns.services import campaign_create
from contacts.models import OptOut
from tests.campaigns.builders import configured, priced
from tests.campaigns.conftest import make_list


@pytest.mark.smoke
def test_calculate_then_see_the_breakdown(client_logged, account, contact_list):
    OptOut.objects.create(account=account, phone="+393330000001")
    campaign = configured(account, contact_list)
    page = client_logged.get(f"/campaigns/{campaign.pk}/cost/")
    assert "Calculate cost" in page.content.decode()

    response = client_logged.post(
        f"/campaigns/{campaign.pk}/cost/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/campaigns/{campaign.pk}/cost/"
    campaign.refresh_from_db()
    assert campaign.status == "COST_CALCULATED"

    html = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert 'data-testid="recipients-total">9<' in html  # 12 rows - 1 - 1 - 1
    assert html.count("\u22121</td>") == 3  # malformed, duplicate, opted out
    assert 'data-testid="total-price">0.32 EUR<' in html  # 9 x 0.035
    assert "9 recipients" in html  # the parts histogram
    assert "Continue to confirm" in html


def test_calculating_without_a_list_says_why(client_logged, account):
    campaign = campaign_create(account=account, name="P", text="Ciao")
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/cost/", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="cost-panel"')
    assert "Contact list is required before calculating cost" in html


def _personalized(account):
    # 60 fixed characters + a name: "Èlia Rossi" needs UCS-2, so 2 parts.
    rows = [
        {"phone": f"+39333000000{i}", "first_name": "Èlia Rossi", "attributes": {}}
        for i in range(4)
    ] + [{"phone": "+393330000009", "first_name": "Elia Rossi", "attributes": {}}]
    contact_list = make_list(account, rows)
    return priced(account, contact_list, text="x" * 60 + " {{first_name}}")


def test_personalization_warnings_and_saving(client_logged, account):
    campaign = _personalized(account)
    html = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert "4 recipients get UCS-2 because of their own data." in html
    assert "<code>first_name</code> (4)" in html
    # Named, so the marketer knows whose data it is.
    assert "For example: Èlia Rossi, Èlia Rossi, Èlia Rossi, Èlia Rossi" in html
    assert "saves 0.14 EUR" in html
    assert "1 part" in html
    assert "2 parts" in html
    assert "GSM-7 and UCS-2 (depends on each recipient)" in html


def test_transliterate_fix_applies_and_reprices(client_logged, account):
    campaign = _personalized(account)
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/fix/", {"fix": "transliteration"}, follow=True
    )
    html = response.content.decode()
    campaign.refresh_from_db()
    assert campaign.transliterate_fields is True
    assert campaign.status == "COST_CALCULATED"
    assert campaign.estimated_cost == Decimal("0.18")  # 5 x 0.035, rounded
    assert "the campaign now costs 0.18 EUR, 0.14 EUR less." in html
    assert "Field values are spelled with GSM-7 letters." in html


def test_lookalike_fix_rewrites_the_text(client_logged, account, contact_list):
    text = "L\u2019offerta scade domani " + "x" * 60
    campaign = priced(account, contact_list, text=text)
    html = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert "Typographic look-alikes force UCS-2." in html
    assert "saves 0.35 EUR" in html  # 10 recipients x 1 part less
    client_logged.post(f"/campaigns/{campaign.pk}/fix/", {"fix": "lookalikes"})
    campaign.refresh_from_db()
    assert campaign.text == "L'offerta scade domani " + "x" * 60
    assert campaign.estimated_cost == Decimal("0.35")


def test_unknown_fix_is_a_flash_error(client_logged, account, contact_list):
    campaign = priced(account, contact_list)
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/fix/", {"fix": "magic"}, follow=True
    )
    assert "Unknown fix." in response.content.decode()


def test_characters_forcing_ucs2_get_a_remove_them_fix(
    client_logged, account, contact_list
):
    """An emoji in the fixed text: named, removable in one click, the saving shown."""
    text = "Offerta \U0001f381 scade domani " + "x" * 60
    campaign = priced(account, contact_list, text=text)
    html = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert "Characters in the fixed text force UCS-2." in html
    assert 'data-testid="fix-removal"' in html
    assert "saves 0.35 EUR" in html  # 10 recipients x 1 part less
    client_logged.post(f"/campaigns/{campaign.pk}/fix/", {"fix": "removal"})
    campaign.refresh_from_db()
    assert campaign.text == "Offerta  scade domani " + "x" * 60
    assert campaign.estimated_cost == Decimal("0.35")


def test_the_sending_time_is_in_the_readers_language(
    client_logged, account, contact_list
):
    """A quote calculated in English (over the API, say) reads in Italian."""
    campaign = priced(account, contact_list)
    assert campaign.quote["estimatedDuration"] == "less than a minute"
    page = client_logged.get(
        f"/campaigns/{campaign.pk}/cost/", headers={"Accept-Language": "it"}
    ).content.decode()
    assert "meno di un minuto" in page
    assert "less than a minute" not in page


def test_the_ucs2_count_is_everyone_it_concerns_not_only_who_the_fix_helps(
    client_logged, account
):
    """An emoji has no GSM-7 spelling: two recipients get UCS-2, one is helped."""
    rows = [
        {"phone": "+393330000001", "first_name": "Zoë 🎉", "attributes": {}},
        {"phone": "+393330000002", "first_name": "Łukasz", "attributes": {}},
        {"phone": "+393330000003", "first_name": "Luca", "attributes": {}},
    ]
    campaign = priced(
        account, make_list(account, rows), text="x" * 150 + " {{first_name}}"
    )
    html = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert "2 recipients get UCS-2 because of their own data." in html
    assert "It shortens the message of 1 of them" in html
