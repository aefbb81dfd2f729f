"""Adding contacts over the API and reading them back page by page."""

from __future__ import annotations

import pytest

from contacts.models import BlacklistEntry, OptOut
from contacts.services import MAX_CONTACTS_PER_REQUEST, contact_list_create

pytestmark = pytest.mark.smoke

V1 = "/api/partner-gateway/v1"


@pytest.fixture
def list_url(account) -> str:
    contact_list = contact_list_create(account=account, name="API list")
    return f"{V1}/contact-lists/{contact_list.pk}"


def _brief(contact: dict) -> tuple:
    return (
        contact["phoneNumber"],
        contact["rawPhone"],
        contact["valid"],
        contact["status"],
        contact["reason"],
    )


def test_each_row_says_whether_it_is_valid_and_why_not(api, account, list_url):
    OptOut.objects.create(account=account, phone="+393201112222")
    response = api.post(
        f"{list_url}/contacts",
        {
            "contacts": [
                {
                    "phoneNumber": "333 123 4567",
                    "firstName": "Mario",
                    "lastName": "Rossi",
                    "attributes": {"code": "BF2026", "points": 120},
                },
                {"phoneNumber": "+39 333 1234567"},
                {"phoneNumber": "12"},
                {"phoneNumber": "+39 320 111 2222"},
            ],
            "defaultRegion": "IT",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in body if k != "contacts"} == {
        "added": 4,
        "validContacts": 2,
        "invalidContacts": 1,
        "duplicateContacts": 1,
    }
    assert [_brief(c) for c in body["contacts"]] == [
        ("+393331234567", "333 123 4567", True, "valid", ""),
        ("+393331234567", "+39 333 1234567", False, "duplicate", "duplicate"),
        ("", "12", False, "invalid", "too_short"),
        ("+393201112222", "+39 320 111 2222", True, "valid", ""),
    ]
    first = body["contacts"][0]
    assert (first["firstName"], first["attributes"], first["country"]) == (
        "Mario",
        {"code": "BF2026", "points": "120"},
        "IT",
    )
    assert [c["optedOut"] for c in body["contacts"]] == [False, False, False, True]
    assert api.get(list_url).json()["attributeKeys"] == ["code", "points"]


def test_default_region_defaults_to_the_account_country(api, list_url):
    body = api.post(
        f"{list_url}/contacts", {"contacts": [{"phoneNumber": "06 1234 5678"}]}
    ).json()
    assert _brief(body["contacts"][0])[:3] == ("+390612345678", "06 1234 5678", True)
    assert body["contacts"][0]["numberType"] == "fixed"


def test_empty_or_oversized_batches_are_400(api, list_url):
    assert api.post(f"{list_url}/contacts", {"contacts": []}).json() == {
        "status": "fail",
        "data": {"contacts": "Give at least one contact"},
    }
    rows = [{"phoneNumber": "3331234567"}] * (MAX_CONTACTS_PER_REQUEST + 1)
    response = api.post(f"{list_url}/contacts", {"contacts": rows})
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {
            "contacts": "At most 1000 contacts per request; upload a file for more."
        },
    }


def test_unknown_region_and_bad_attribute_names_are_400(api, list_url):
    response = api.post(
        f"{list_url}/contacts",
        {"contacts": [{"phoneNumber": "3331234567"}], "defaultRegion": "XX"},
    )
    assert (response.status_code, response.json()["data"]) == (
        400,
        {"defaultRegion": "Unknown country code: XX"},
    )
    response = api.post(
        f"{list_url}/contacts",
        {"contacts": [{"phoneNumber": "3331234567", "attributes": {"bad key": "x"}}]},
    )
    assert response.status_code == 400
    assert list(response.json()["data"]) == ["contacts[0].attributes"]


def test_missing_phone_number_is_400_naming_the_field(api, list_url):
    response = api.post(f"{list_url}/contacts", {"contacts": [{"firstName": "A"}]})
    assert response.json() == {
        "status": "fail",
        "data": {"phoneNumber": "Field required"},
    }


def test_pages_follow_the_cursor_and_filter_by_status(api, list_url):
    rows = [{"phoneNumber": f"33300{i:05d}"} for i in range(5)] + [
        {"phoneNumber": "bad"},
        {"phoneNumber": "3330000000"},
    ]
    api.post(f"{list_url}/contacts", {"contacts": rows})
    BlacklistEntry.objects.create(phone="+393330000001")
    first = api.get(f"{list_url}/contacts?limit=3").json()
    assert [c["rawPhone"] for c in first["contacts"]] == [
        "3330000000",
        "3330000001",
        "3330000002",
    ]
    assert [c["optedOut"] for c in first["contacts"]] == [False, True, False]
    second = api.get(f"{list_url}/contacts?limit=3&cursor={first['nextCursor']}")
    third = api.get(
        f"{list_url}/contacts?limit=3&cursor={second.json()['nextCursor']}"
    ).json()
    assert [c["rawPhone"] for c in second.json()["contacts"]] == [
        "3330000003",
        "3330000004",
        "bad",
    ]
    assert (len(third["contacts"]), third["nextCursor"]) == (1, None)
    invalid = api.get(f"{list_url}/contacts?status=invalid").json()
    assert [_brief(c) for c in invalid["contacts"]] == [
        ("", "bad", False, "invalid", "not_a_number")
    ]
    duplicates = api.get(f"{list_url}/contacts?status=duplicate").json()["contacts"]
    assert [c["rawPhone"] for c in duplicates] == ["3330000000"]


def test_bad_status_or_cursor_is_400(api, list_url):
    assert api.get(f"{list_url}/contacts?status=nope").json() == {
        "status": "fail",
        "data": {"status": "Use valid, invalid or duplicate"},
    }
    assert api.get(f"{list_url}/contacts?cursor=abc").json() == {
        "status": "fail",
        "data": {"cursor": "Invalid cursor"},
    }


def test_other_accounts_list_is_404_and_untouched(api, other_account):
    theirs = contact_list_create(account=other_account, name="Theirs")
    url = f"{V1}/contact-lists/{theirs.pk}/contacts"
    assert api.post(url, {"contacts": [{"phoneNumber": "3331234567"}]}).json() == {
        "status": "fail",
        "data": {"id": "Not found"},
    }
    assert api.get(url).status_code == 404
    assert theirs.contacts.count() == 0
