"""Opt-outs over the API: add (idempotent), search, remove; scoped to the key's account."""

from __future__ import annotations

import pytest

from contacts.models import OptOut

pytestmark = pytest.mark.smoke

URL = "/api/partner-gateway/v1/opt-outs"


def test_add_stores_e164_and_repeats_are_200(api, account):
    response = api.post(URL, {"phoneNumber": "333 123 4567", "note": "STOP by SMS"})
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("phoneNumber", "source", "note")} == {
        "phoneNumber": "+393331234567",
        "source": "api",
        "note": "STOP by SMS",
    }
    again = api.post(URL, {"phoneNumber": "+39 333 123 4567"})
    assert again.status_code == 200
    assert OptOut.objects.filter(account=account).count() == 1


def test_invalid_number_is_400(api):
    response = api.post(URL, {"phoneNumber": "12"})
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {
            "phoneNumber": "12 is not a valid number: it is too short for a phone number."
        },
    }


def test_list_is_newest_first_searchable_and_paged(api, account, other_account):
    for n in range(3):
        OptOut.objects.create(account=account, phone=f"+39333000000{n}")
    OptOut.objects.create(account=account, phone="+393209999999")
    OptOut.objects.create(account=other_account, phone="+393330000009")
    body = api.get(f"{URL}?limit=2").json()
    assert [o["phoneNumber"] for o in body["optOuts"]] == [
        "+393209999999",
        "+393330000002",
    ]
    rest = api.get(f"{URL}?limit=2&cursor={body['nextCursor']}").json()
    assert [o["phoneNumber"] for o in rest["optOuts"]] == [
        "+393330000001",
        "+393330000000",
    ]
    found = api.get(f"{URL}?search=320 999").json()["optOuts"]
    assert [o["phoneNumber"] for o in found] == ["+393209999999"]


def test_delete_by_number_in_any_format(api, account):
    OptOut.objects.create(account=account, phone="+393331234567")
    response = api.delete(f"{URL}?phoneNumber=333%201234567")
    assert response.status_code == 204
    assert not OptOut.objects.exists()
    missing = api.delete(f"{URL}?phoneNumber=%2B393331234567")
    assert missing.status_code == 404
    assert missing.json() == {"status": "fail", "data": {"phoneNumber": "Not found"}}


def test_another_accounts_opt_out_cannot_be_deleted(api, other_account):
    OptOut.objects.create(account=other_account, phone="+393331234567")
    assert api.delete(f"{URL}?phoneNumber=%2B393331234567").status_code == 404
    assert OptOut.objects.filter(account=other_account).count() == 1
    assert api.get(URL).json()["optOuts"] == []
