"""Search ignores accents: "Niccolo" finds "Niccolò" (unaccent, or SQLite's twin)."""

from __future__ import annotations

import pytest

from campaigns.selectors import campaigns_for_account
from campaigns.services import campaign_create
from contacts.selectors import contacts_search
from contacts.services import NewContact, contact_list_create, contacts_add


@pytest.mark.smoke
def test_contacts_found_without_their_accents(account):
    contact_list = contact_list_create(account=account, name="Clienti")
    contacts_add(
        contact_list=contact_list,
        rows=[
            NewContact("3331234567", "Niccolò", "Bianchi", {}),
            NewContact("3331234568", "Nicola", "Rossi", {}),
        ],
        default_region="IT",
    )
    found = contacts_search(contact_list.contacts.all(), query="niccolo", region="IT")
    assert [c.first_name for c in found] == ["Niccolò"]
    accented = contacts_search(
        contact_list.contacts.all(), query="NICCOLÒ", region="IT"
    )
    assert [c.first_name for c in accented] == ["Niccolò"]


@pytest.mark.smoke
def test_campaigns_found_without_their_accents(account):
    campaign_create(account=account, name="Offerte in città", channel="SMS")
    campaign_create(account=account, name="Altro", channel="SMS")
    found = campaigns_for_account(account=account, search="Citta")
    assert [c.name for c in found] == ["Offerte in città"]


def test_the_api_search_ignores_accents(api, account):
    campaign_create(account=account, name="Caffè gratis", channel="SMS")
    body = api.get("/api/partner-gateway/v1/campaigns?q=caffe").json()
    assert [c["name"] for c in body] == ["Caffè gratis"]
