"""Wizard step 3: the account's lists with their counts; an optional cap."""

from __future__ import annotations

import pytest

from campaigns.services import campaign_create
from contacts.models import ContactList
from tests.campaigns.builders import TEXT
from tests.campaigns.conftest import make_list


@pytest.fixture
def composed(account):
    return campaign_create(account=account, name="Promo", text=TEXT)


def test_lists_are_shown_with_their_counts(client_logged, composed, contact_list):
    ContactList.objects.filter(pk=contact_list.pk).update(
        valid_count=10, invalid_count=1, duplicate_count=1
    )
    html = client_logged.get(f"/campaigns/{composed.pk}/recipients/").content.decode()
    assert "Clienti" in html
    assert "12 rows" in html
    assert "10 valid" in html
    assert "1 invalid" in html
    assert "1 duplicate<" in html or "1 duplicate " in html


def test_another_accounts_list_is_neither_shown_nor_accepted(
    client_logged, composed, other_account
):
    foreign = make_list(other_account, [{"phone": "+393330000001"}], name="Foreign")
    html = client_logged.get(f"/campaigns/{composed.pk}/recipients/").content.decode()
    assert "Foreign" not in html
    response = client_logged.post(
        f"/campaigns/{composed.pk}/recipients/",
        {"contact_list": foreign.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    composed.refresh_from_db()
    assert composed.contact_list is None


def test_choosing_a_list_configures_the_campaign(client_logged, composed, contact_list):
    response = client_logged.post(
        f"/campaigns/{composed.pk}/recipients/",
        {"contact_list": contact_list.pk, "goal_contact_count": "5"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/campaigns/{composed.pk}/cost/"
    composed.refresh_from_db()
    assert composed.contact_list == contact_list
    assert composed.goal_contact_count == 5
    assert composed.status == "CONFIGURED"


def test_no_list_chosen_is_an_inline_error(client_logged, composed, contact_list):
    response = client_logged.post(
        f"/campaigns/{composed.pk}/recipients/", {}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Choose the list to send to." in response.content.decode()


def test_cap_must_be_positive(client_logged, composed, contact_list):
    response = client_logged.post(
        f"/campaigns/{composed.pk}/recipients/",
        {"contact_list": contact_list.pk, "goal_contact_count": "0"},
    )
    assert response.status_code == 422


def test_chosen_list_is_previewed(client_logged, account, composed):
    rows = [{"phone": "+393330000001", "first_name": "Anna"}]
    contact_list = make_list(account, rows)
    composed.contact_list = contact_list
    composed.text = "Ciao {{first_name}}"
    composed.save()
    html = client_logged.get(f"/campaigns/{composed.pk}/recipients/").content.decode()
    assert "Ciao Anna" in html


def test_no_list_yet_says_so(client_logged, composed):
    html = client_logged.get(f"/campaigns/{composed.pk}/recipients/").content.decode()
    assert "There are no contact lists in this account yet." in html
