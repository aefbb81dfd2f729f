"""UC-006's arithmetic, and one suppression rule for the quote and the list pages."""

from __future__ import annotations

from contacts.models import BlacklistEntry, OptOut
from contacts.selectors import opted_out_count, sendable_contacts
from tests.campaigns.conftest import italian_rows, make_list

V1 = "/api/partner-gateway/v1/campaigns"


def _list_with_every_kind(account):
    rows = [
        *italian_rows(6),
        {"phone": "", "raw": "ciao", "status": "invalid", "reason": "not_a_number"},
        {"phone": "+393330000000", "status": "duplicate"},
    ]
    contact_list = make_list(account, rows)
    OptOut.objects.create(account=account, phone="+393330000001")
    BlacklistEntry.objects.create(phone="+393330000002")
    return contact_list


def _calculate(api, contact_list, **body):
    cid = api.post(
        V1, {"name": "n", "text": "Ciao", "contactListId": contact_list.pk}
    ).json()["id"]
    return api.post(f"{V1}/{cid}/calculateGoal", body or None).json()


def test_invalid_is_total_minus_valid(api, account):
    body = _calculate(api, _list_with_every_kind(account))
    assert body["totalRecipients"] == 8
    assert body["validRecipients"] == 4
    assert body["invalidRecipients"] == 4 == 8 - 4
    assert body["malformedRecipients"] == 1
    assert body["duplicateRecipients"] == 1
    assert body["blacklistedRecipients"] == 2
    assert body["totalContacts"] == body["estimatedParts"] == 4


def test_a_cap_limits_who_gets_it_not_who_is_valid(api, account):
    body = _calculate(api, _list_with_every_kind(account), goalContactCount=3)
    assert body["validRecipients"] == 4
    assert body["invalidRecipients"] == 4
    assert body["totalContacts"] == 3
    assert body["estimatedCost"] == 0.11  # 3 x 0.035, rounded half up


def test_the_list_page_and_the_quote_skip_the_same_people(api, account):
    contact_list = _list_with_every_kind(account)
    body = _calculate(api, contact_list)
    assert opted_out_count(contact_list=contact_list) == body["blacklistedRecipients"]
    sendable = sendable_contacts(account=account, contact_list=contact_list)
    assert sorted(sendable.values_list("phone", flat=True)) == [
        "+393330000000",
        "+393330000003",
        "+393330000004",
        "+393330000005",
    ]


def test_another_accounts_list_has_no_sendable_contacts(account, other_account):
    contact_list = _list_with_every_kind(account)
    assert not sendable_contacts(account=other_account, contact_list=contact_list)
