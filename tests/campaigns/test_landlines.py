"""Landlines are valid numbers an SMS rarely reaches: left out unless asked for."""

from __future__ import annotations

from campaigns.models import Campaign
from tests.campaigns.conftest import italian_rows, make_list

V1 = "/api/partner-gateway/v1/campaigns"


def _list_with_landlines(account):
    rows = [
        *italian_rows(3),
        {"phone": "+390212345678", "number_type": "fixed"},
        {"phone": "+390612345678", "number_type": "fixed"},
    ]
    contact_list = make_list(account, rows)
    contact_list.contacts.filter(phone__startswith="+393").update(number_type="mobile")
    contact_list.contacts.filter(phone__startswith="+390").update(number_type="fixed")
    return contact_list


def _create(api, contact_list, **extra) -> int:
    body = {
        "name": "P",
        "sender": "Shop",
        "text": "Ciao",
        "contactListId": contact_list.pk,
    }
    return api.post(V1, {**body, **extra}).json()["id"]


def test_landlines_are_left_out_and_not_charged_by_default(api, account):
    contact_list = _list_with_landlines(account)
    cid = _create(api, contact_list)
    body = api.post(f"{V1}/{cid}/calculateGoal").json()
    assert body["numberTypes"] == {"mobile": 3, "fixed": 2, "unknown": 0}
    assert body["landlineRecipients"] == 2
    assert (body["totalRecipients"], body["validRecipients"]) == (5, 3)
    assert body["invalidRecipients"] == 2
    assert body["totalContacts"] == 3
    assert body["estimatedParts"] == 3


def test_include_landlines_sends_to_them_too(api, account):
    contact_list = _list_with_landlines(account)
    cid = _create(api, contact_list, includeLandlines=True)
    assert api.get(f"{V1}/{cid}").json()["includeLandlines"] is True
    body = api.post(f"{V1}/{cid}/calculateGoal").json()
    assert body["landlineRecipients"] == 0
    assert body["totalContacts"] == 5


def test_the_cost_step_names_the_landlines(client_logged, api, account):
    contact_list = _list_with_landlines(account)
    cid = _create(api, contact_list)
    api.post(f"{V1}/{cid}/calculateGoal")
    page = client_logged.get(f"/campaigns/{cid}/cost/").content.decode()
    assert "Landlines (SMS usually does not arrive)" in page


def test_the_recipients_step_offers_to_include_them(client_logged, api, account):
    contact_list = _list_with_landlines(account)
    cid = _create(api, contact_list)
    response = client_logged.post(
        f"/campaigns/{cid}/recipients/",
        {"contact_list": contact_list.pk, "include_landlines": "on"},
    )
    assert response.status_code in {200, 302}
    assert Campaign.objects.get(pk=cid).include_landlines is True
