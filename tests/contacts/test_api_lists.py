"""Contact list endpoints: create, list, read, delete; other accounts get 404."""

from __future__ import annotations

import pytest

from contacts.models import ContactList, OptOut
from contacts.services import NewContact, contact_list_create, contacts_add
from tests.conftest import ApiClient

pytestmark = pytest.mark.smoke

V1 = "/api/partner-gateway/v1"
NOT_FOUND = {"status": "fail", "data": {"id": "Not found"}}


def test_create_returns_the_list_with_its_id(api, account):
    response = api.post(
        f"{V1}/contact-lists", {"name": "Black Friday", "description": "VIP"}
    )
    assert response.status_code == 201
    body = response.json()
    contact_list = ContactList.objects.get(pk=body["id"])
    assert contact_list.account == account
    assert {k: v for k, v in body.items() if not k.endswith("At")} == {
        "id": contact_list.pk,
        "name": "Black Friday",
        "description": "VIP",
        "totalContacts": 0,
        "validContacts": 0,
        "invalidContacts": 0,
        "duplicateContacts": 0,
        "attributeKeys": [],
    }


def test_create_without_a_name_is_400_in_the_seeds_form(api):
    response = api.post(f"{V1}/contact-lists", {"description": "no name"})
    assert response.status_code == 400
    assert response.json() == {"status": "fail", "data": {"name": "Field required"}}


def test_short_url_family_answers_too(api):
    response = api.post("/api/contact-lists", {"name": "Short"})
    assert response.status_code == 201
    assert api.get(f"/api/contact-lists/{response.json()['id']}").status_code == 200


def test_lists_show_counts_newest_first(api, account, other_account):
    older = contact_list_create(account=account, name="Older")
    contacts_add(
        contact_list=older,
        rows=[NewContact("3331234567"), NewContact("333 123 4567"), NewContact("x")],
        default_region="IT",
    )
    contact_list_create(account=account, name="Newer")
    contact_list_create(account=other_account, name="Not ours")
    body = api.get(f"{V1}/contact-lists").json()
    assert [(item["name"], item["totalContacts"]) for item in body["contactLists"]] == [
        ("Newer", 0),
        ("Older", 3),
    ]
    older_out = body["contactLists"][1]
    assert (
        older_out["validContacts"],
        older_out["invalidContacts"],
        older_out["duplicateContacts"],
    ) == (1, 1, 1)


def test_one_list_counts_opted_out_numbers(api, account):
    contact_list = contact_list_create(account=account, name="Clienti")
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("3331234567"), NewContact("3201112222")],
        default_region="IT",
    )
    OptOut.objects.create(account=account, phone="+393331234567")
    body = api.get(f"{V1}/contact-lists/{contact_list.pk}").json()
    assert (body["validContacts"], body["optedOutContacts"]) == (2, 1)


def test_delete_removes_list_and_contacts(api, account):
    contact_list = contact_list_create(account=account, name="Old")
    contacts_add(
        contact_list=contact_list, rows=[NewContact("3331234567")], default_region="IT"
    )
    response = api.delete(f"{V1}/contact-lists/{contact_list.pk}")
    assert response.status_code == 204
    assert not ContactList.objects.filter(pk=contact_list.pk).exists()
    assert api.get(f"{V1}/contact-lists/{contact_list.pk}").json() == NOT_FOUND


def test_other_accounts_list_is_404_for_read_and_delete(api, other_account):
    theirs = contact_list_create(account=other_account, name="Theirs")
    for method in ("get", "delete"):
        response = getattr(api, method)(f"{V1}/contact-lists/{theirs.pk}")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert ContactList.objects.filter(pk=theirs.pk).exists()


def test_without_a_key_is_401(db):
    response = ApiClient(None).get(f"{V1}/contact-lists")
    assert response.status_code == 401
    assert response.json() == {
        "status": "fail",
        "data": {"apiKey": "Missing, invalid or revoked API key"},
    }
