"""The API's contract details found from outside (issue 11, item 14)."""

from __future__ import annotations

from decimal import Decimal

from accounts.credit import credit_top_up
from accounts.models import LedgerEntry

V1 = "/api/partner-gateway/v1/campaigns"


def _calculated(api, contact_list) -> int:
    cid = api.post(
        V1,
        {
            "name": "P",
            "sender": "Shop",
            "text": "Ciao",
            "contactListId": contact_list.pk,
        },
    ).json()["id"]
    assert api.post(f"{V1}/{cid}/calculateGoal").status_code == 200
    return cid


def test_by_country_amounts_are_json_numbers(api, contact_list):
    cid = _calculated(api, contact_list)
    calculated = api.post(f"{V1}/{cid}/calculateGoal").json()
    row = calculated["byCountry"][0]
    assert row["country"] == "IT"
    assert isinstance(row["unitPrice"], float)
    assert isinstance(row["cost"], float)
    price = api.get(f"{V1}/{cid}/price").json()
    assert all(
        isinstance(r["unitPrice"], float) and isinstance(r["cost"], float)
        for r in price["byCountry"]
    )
    assert b'"cost": "' not in api.get(f"{V1}/{cid}/price").content


def test_channel_error_names_the_accepted_values(api):
    response = api.post(V1, {"name": "P", "channel": "fax"})
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"channel": "Channel must be SMS, RCS or WHATSAPP (any case)."},
    }


def test_channel_filter_refuses_an_unknown_channel_by_name(api):
    response = api.get(f"{V1}?channel=fax")
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"channel": "Channel must be SMS, RCS or WHATSAPP (any case)."},
    }
    assert api.get(f"{V1}?channel=whatsapp").status_code == 200


def test_ledger_rows_made_over_the_api_name_the_key(
    api, account, contact_list, client_logged
):
    cid = _calculated(api, contact_list)
    assert api.put(f"{V1}/{cid}/confirm", {"sendImmediately": True}).status_code == 200
    reserve = LedgerEntry.objects.get(kind="reservation")
    assert reserve.api_key is not None
    assert reserve.api_key.name == "tests"
    page = client_logged.get("/account/").content.decode()
    assert f"API key {reserve.api_key}" in page


def test_a_later_request_does_not_inherit_the_key(api, account):
    """The key is forgotten when its request ends: a staff top-up names no key."""

    api.get("/api/partner-gateway/v1/account")
    entry = credit_top_up(account=account, amount=Decimal("1"))
    assert entry.api_key is None
