"""Hostile recurring schedules are a 400 (API) or a form error (page), never a 500.

Each rule below once crashed inside `int()`, `datetime` or dateutil's iteration;
each zone made `aware()` raise before the zone was checked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts.errors import DomainError
from campaigns.models import RecurringCampaign
from campaigns.recurrence import MAX_LENGTH, clean_rule, weekly_parts
from tests.campaigns.recurring_builders import MONDAYS_AT_8, REMINDER, weekly_reminder

V1 = "/api/partner-gateway/v1/recurring-campaigns"
PAGE = "/campaigns/recurring/"

REFUSED_RULES = [
    "FREQ=DAILY;INTERVAL=²",  # "²".isdigit() is true, int("²") fails
    "FREQ=DAILY;UNTIL=99991231",
    "FREQ=DAILY;UNTIL=99991231T235959Z",
    "FREQ=DAILY;UNTIL=50001230",
    "FREQ=MONTHLY;BYDAY=-99FR",
    "FREQ=MONTHLY;BYDAY=8FR",
    "FREQ=MONTHLY;BYDAY=-60FR",
    "FREQ=YEARLY;BYDAY=60FR",
    "FREQ=YEARLY;BYMONTH=2;BYDAY=6FR",
    "FREQ=MONTHLY;BYDAY=99999999999999999999FR",
    "FREQ=WEEKLY;BYDAY=MO;BYHOUR=999999999999999999999;BYMINUTE=0",
]
# Past int()'s 4300-digit limit too.
TOO_LONG = "FREQ=DAILY;INTERVAL=" + "0" * 100000 + "1"
HOSTILE_ZONES = ["Mars/Base", "../../etc/passwd"]


def body(contact_list_id: int, **changes) -> dict:
    values = {
        "name": "Promemoria",
        "sender": "StudioBian",
        "text": REMINDER,
        "contactListId": contact_list_id,
        "rrule": MONDAYS_AT_8,
        "timezone": "Europe/Rome",
    }
    return {**values, **changes}


def picker_form(contact_list, **changes) -> dict:
    form = {
        "name": "Promemoria",
        "contact_list": contact_list.pk,
        "sender": "StudioBian",
        "text": REMINDER,
        "days": ["MO"],
        "at": "08:00",
        "timezone": "Europe/Rome",
        "rrule": "",
    }
    return {**form, **changes}


@pytest.mark.parametrize("rule", REFUSED_RULES)
def test_hostile_rules_are_refused_with_the_rrule_named(rule):
    with pytest.raises(DomainError) as refused:
        clean_rule(rule)
    assert list(refused.value.data) == ["rrule"]
    assert refused.value.status_code == 400


def test_a_rule_is_at_most_max_length_characters():
    with pytest.raises(DomainError, match="at most 500 characters"):
        clean_rule(TOO_LONG)
    padded = "FREQ=DAILY;INTERVAL=" + "0" * (MAX_LENGTH - 21) + "1"
    assert len(padded) == MAX_LENGTH
    assert clean_rule(padded) == padded  # leading zeros: INTERVAL=1


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY;INTERVAL=²", "ASCII letters and digits only"),
        ("FREQ=DAILY;UNTIL=99991231", "UNTIL must be in the years 1900 to 2199"),
        ("FREQ=MONTHLY;BYDAY=-60FR", "from 1 to 5 or -1 to -5"),
        ("FREQ=YEARLY;BYDAY=60FR", "from 1 to 53 or -1 to -53"),
        ("FREQ=WEEKLY;BYHOUR=999999999999999999999", "Not a valid RFC 5545 rule"),
    ],
)
def test_the_refusals_say_why(rule, message):
    with pytest.raises(DomainError, match=message):
        clean_rule(rule)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYDAY=-5FR,5MO",
        "FREQ=YEARLY;BYDAY=53FR",
        "FREQ=YEARLY;BYDAY=-53FR",
        "FREQ=DAILY;UNTIL=21991231T235959Z",
    ],
)
def test_positions_and_ends_at_the_edges_are_kept(rule):
    assert clean_rule(rule) == rule


def test_the_picker_reads_only_ascii_digits():
    assert weekly_parts("FREQ=WEEKLY;BYDAY=MO;BYHOUR=²;BYMINUTE=0") is None


@pytest.mark.parametrize("rule", [*REFUSED_RULES, TOO_LONG])
def test_create_refuses_hostile_rules_with_a_400(api, contact_list, rule):
    response = api.post(V1, body(contact_list.pk, rrule=rule))
    assert response.status_code == 400, response.content[:300]
    assert response.json()["status"] == "fail"
    assert list(response.json()["data"]) == ["rrule"]
    assert not RecurringCampaign.objects.exists()


@pytest.mark.parametrize("rule", [*REFUSED_RULES, TOO_LONG])
def test_update_refuses_hostile_rules_with_a_400(api, account, contact_list, rule):
    recurring = weekly_reminder(account, contact_list, now=datetime.now(UTC))
    response = api.put(f"{V1}/{recurring.pk}", {"rrule": rule})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["data"]) == ["rrule"]
    recurring.refresh_from_db()
    assert recurring.rrule == MONDAYS_AT_8


@pytest.mark.parametrize("zone", HOSTILE_ZONES)
@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
def test_an_unknown_zone_with_a_naive_time_is_a_400(api, contact_list, zone, field):
    response = api.post(
        V1, body(contact_list.pk, timezone=zone, **{field: "2026-12-01T08:00:00"})
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["data"] == {
        "timezone": "Unknown time zone: use an IANA name such as Europe/Rome."
    }
    assert not RecurringCampaign.objects.exists()


@pytest.mark.parametrize("zone", HOSTILE_ZONES)
def test_an_unknown_zone_on_update_is_a_400(api, account, contact_list, zone):
    recurring = weekly_reminder(account, contact_list, now=datetime.now(UTC))
    response = api.put(
        f"{V1}/{recurring.pk}",
        {"timezone": zone, "startsAt": "2026-12-01T08:00:00"},
    )
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["data"]) == ["timezone"]
    recurring.refresh_from_db()
    assert recurring.timezone == "Europe/Rome"


def test_a_zone_with_spaces_reads_a_naive_start_in_that_zone(api, contact_list):
    """As `clean_timezone` stores it: "Europe/Rome " is Europe/Rome."""
    response = api.post(
        V1,
        body(
            contact_list.pk,
            timezone="Europe/Rome ",
            startsAt="2100-12-01T08:00:00",
            endsAt="2101-12-01T08:00:00",
        ),
    )
    assert response.status_code == 201, response.content[:300]
    created = response.json()
    assert created["timezone"] == "Europe/Rome"
    assert datetime.fromisoformat(created["startsAt"]) == datetime(
        2100, 12, 1, 7, 0, tzinfo=UTC
    )
    assert datetime.fromisoformat(created["endsAt"]) == datetime(
        2101, 12, 1, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("rule", REFUSED_RULES)
def test_the_page_shows_a_form_error(client_logged, contact_list, rule):
    response = client_logged.post(
        PAGE, picker_form(contact_list, rrule=rule), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert 'class="form-error"' in response.content.decode()
    assert not RecurringCampaign.objects.exists()


def test_the_page_refuses_a_rule_too_long(client_logged, contact_list):
    response = client_logged.post(PAGE, picker_form(contact_list, rrule=TOO_LONG))
    assert response.status_code == 422
    assert "at most 500 characters" in response.content.decode()


@pytest.mark.parametrize("rule", [*REFUSED_RULES, TOO_LONG])
def test_the_preview_says_what_is_wrong(client_logged, rule):
    response = client_logged.get(f"{PAGE}preview/", {"rrule": rule})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="form-error">' in html
    assert "Next runs" not in html


@pytest.mark.parametrize("zone", [*HOSTILE_ZONES, "Europe/Rome\x7f"])
def test_the_preview_refuses_an_unknown_zone(client_logged, zone):
    response = client_logged.get(
        f"{PAGE}preview/", {"rrule": MONDAYS_AT_8, "timezone": zone}
    )
    assert response.status_code == 200
    assert "Unknown time zone" in response.content.decode()
