"""The recurring campaign API: the seeds' weekly reminder, end to end."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.apikeys import apikey_create
from accounts.services import account_create
from campaigns.recurring import recurring_run_due
from tests.campaigns.conftest import italian_rows, make_list
from tests.campaigns.recurring_builders import REMINDER
from tests.conftest import ApiClient

V1 = "/api/partner-gateway/v1/recurring-campaigns"
MONDAYS_AT_8 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"


def reminder_body(contact_list_id: int, **changes) -> dict:
    """UC-006's create fields (`text`, `contactListId`) plus the schedule."""
    body = {
        "name": "Promemoria settimanale",
        "channel": "SMS",
        "description": "Ogni lunedì, a tutti i pazienti prenotati",
        "sender": "StudioBian",
        "text": REMINDER,
        "contactListId": contact_list_id,
        "unicode": False,
        "rrule": MONDAYS_AT_8,
        "timezone": "Europe/Rome",
    }
    return {**body, **changes}


def run_next(api: ApiClient, rid: int) -> dict:
    """Let the ticker make the next run, as beat would at its time; the new body."""
    next_run = datetime.fromisoformat(api.get(f"{V1}/{rid}").json()["nextRunAt"])
    recurring_run_due(now=next_run + timedelta(seconds=5))
    return api.get(f"{V1}/{rid}").json()


@pytest.mark.smoke
def test_weekly_reminder_flow(api, account, contact_list):
    created = api.post(V1, reminder_body(contact_list.pk))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "ACTIVE"
    assert body["rrule"] == MONDAYS_AT_8
    assert body["timezone"] == "Europe/Rome"
    assert body["schedule"] == "Every Monday at 08:00"
    assert body["contactListId"] == contact_list.pk
    assert body["occurrences"] == []
    assert body["lastError"] is None
    local = datetime.fromisoformat(body["nextRunLocal"])
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)
    assert datetime.fromisoformat(body["nextRunAt"]) == local
    assert timezone.now() < local <= timezone.now() + timedelta(days=7)
    rid = body["id"]

    body = run_next(api, rid)
    assert len(body["occurrences"]) == 1
    assert body["lastRunAt"] is not None
    following = datetime.fromisoformat(body["nextRunLocal"])
    assert (following.weekday(), following.hour) == (0, 8)
    assert following.date() == (local + timedelta(days=7)).date()
    occurrence = api.get(f"/api/partner-gateway/v1/campaigns/{body['occurrences'][0]}")
    occurrence = occurrence.json()
    assert occurrence["status"] == "CONFIRMED"
    assert occurrence["recurringId"] == rid
    assert datetime.fromisoformat(occurrence["occurrenceAt"]) == local
    assert occurrence["totalContacts"] == 10
    assert occurrence["reservedAmount"] == 0.35
    assert occurrence["text"] == REMINDER
    assert occurrence["sender"] == "StudioBian"
    assert api.get("/api/partner-gateway/v1/account").json()["reservedCredit"] == 0.35

    listed = api.get(V1).json()
    assert [r["id"] for r in listed] == [rid]
    assert listed[0]["occurrences"] == body["occurrences"]


def test_the_guide_s_spellings_and_the_short_family(api, contact_list):
    body = reminder_body(contact_list.pk, channel="sms", timezone=None)
    del body["text"], body["contactListId"], body["timezone"]
    body |= {"message": "Promemoria", "contactList": f"list_{contact_list.pk}"}
    created = api.post("/api/recurring-campaigns", body)
    assert created.status_code == 201, created.json()
    assert created.json()["text"] == "Promemoria"
    assert created.json()["contactList"] == contact_list.pk
    assert created.json()["timezone"] == "Europe/Rome"  # the account's


def test_a_run_without_enough_credit_is_skipped_and_the_api_says_why(db):
    account = account_create(name="Studio Bianchi", credit=Decimal("0.10"))
    _key, raw = apikey_create(account=account, name="studio")
    api = ApiClient(raw)
    contact_list = make_list(account, italian_rows(10))
    rid = api.post(V1, reminder_body(contact_list.pk)).json()["id"]
    first_run = api.get(f"{V1}/{rid}").json()["nextRunAt"]

    body = run_next(api, rid)

    assert body["status"] == "ACTIVE"
    assert body["lastError"] == "Insufficient credit. Required: 0.35, available: 0.10"
    assert body["lastErrorAt"] == first_run
    assert datetime.fromisoformat(body["nextRunAt"]) > datetime.fromisoformat(first_run)
    skipped = api.get(f"/api/campaigns/{body['occurrences'][0]}").json()
    assert skipped["status"] == "CANCELED"
    assert skipped["reservedAmount"] == 0
    assert api.get("/api/account").json()["availableCredit"] == 0.10


@pytest.mark.parametrize(
    ("changes", "data"),
    [
        (
            {"rrule": "FREQ=MINUTELY"},
            {
                "rrule": "FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY: "
                "a schedule runs at most once an hour."
            },
        ),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=XX"},
            {"rrule": "Not a valid RFC 5545 rule (invalid 'BYDAY': XX)."},
        ),
        (
            {"timezone": "Europe/Milano"},
            {"timezone": "Unknown time zone: use an IANA name such as Europe/Rome."},
        ),
        ({"rrule": None}, {"rrule": "Input should be a valid string"}),
        (
            {"contactListId": None},
            {"contactListId": "Choose the contact list each run is sent to."},
        ),
        ({"contactListId": 999999}, {"contactListId": "Contact list not found."}),
        (
            {"endsAt": "2020-01-01T00:00:00Z"},
            {"endsAt": "The end must be after the start and in the future."},
        ),
    ],
)
def test_refusals_in_the_seeds_body(api, contact_list, changes, data):
    response = api.post(V1, reminder_body(contact_list.pk, **changes))
    assert response.status_code == 400
    assert response.json() == {"status": "fail", "data": data}


def test_a_missing_rule_is_named(api, contact_list):
    body = reminder_body(contact_list.pk)
    del body["rrule"]
    response = api.post(V1, body)
    assert response.status_code == 400
    assert response.json() == {"status": "fail", "data": {"rrule": "Field required"}}


def test_pause_resume_change_and_end(api, contact_list):
    rid = api.post(V1, reminder_body(contact_list.pk)).json()["id"]

    paused = api.put(f"{V1}/{rid}", {"status": "PAUSED"})
    assert paused.status_code == 200
    assert (paused.json()["status"], paused.json()["nextRunAt"]) == ("PAUSED", None)
    assert api.put(f"{V1}/{rid}", {"status": "paused"}).status_code == 200  # no-op

    resumed = api.put(f"{V1}/{rid}", {"status": "ACTIVE"}).json()
    assert resumed["status"] == "ACTIVE"
    assert resumed["nextRunAt"] is not None

    changed = api.put(
        f"{V1}/{rid}",
        {"rrule": "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=18;BYMINUTE=30", "text": "Nuovo"},
    ).json()
    assert changed["schedule"] == "Every Monday and Thursday at 18:30"
    assert changed["text"] == "Nuovo"
    local = datetime.fromisoformat(changed["nextRunLocal"])
    assert (local.weekday() in {0, 3}, local.hour, local.minute) == (True, 18, 30)

    bad = api.put(f"{V1}/{rid}", {"status": "STOPPED", "text": "Non salvato"})
    assert bad.status_code == 400
    assert bad.json() == {
        "status": "fail",
        "data": {"status": "Use one of ACTIVE, PAUSED, ENDED"},
    }
    assert api.get(f"{V1}/{rid}").json()["text"] == "Nuovo"

    ended = api.delete(f"{V1}/{rid}")
    assert ended.status_code == 200
    assert (ended.json()["status"], ended.json()["nextRunAt"]) == ("ENDED", None)
    again = api.delete(f"{V1}/{rid}")
    assert again.status_code == 409
    assert again.json() == {
        "status": "fail",
        "data": {"status": "This recurring campaign has already ended."},
    }
    refused = api.put(f"{V1}/{rid}", {"status": "ACTIVE"})
    assert refused.status_code == 409
    assert refused.json()["data"] == {
        "status": "This recurring campaign has ended and cannot be resumed."
    }


def test_another_account_gets_404(api, other_api, contact_list):
    rid = api.post(V1, reminder_body(contact_list.pk)).json()["id"]
    for method, body in (
        ("GET", None),
        ("PUT", {"status": "PAUSED"}),
        ("DELETE", None),
    ):
        response = other_api.request(method, f"{V1}/{rid}", body)
        assert response.status_code == 404
        assert response.json() == {"status": "fail", "data": {"id": "Not found"}}
    assert other_api.get(V1).json() == []
    assert api.get(f"{V1}/{rid}").json()["status"] == "ACTIVE"
