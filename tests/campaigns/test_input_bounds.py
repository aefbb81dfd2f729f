"""Input that no column or clock can hold is a 400 (or 413), never a 500.

Found from outside (issue 11, items 1 and 2): each of these stored garbage or
made the database raise; the pages showing a stored one answered 500 for good.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps as global_apps
from django.db import connection
from django.test import Client

from campaigns.models import Campaign
from campaigns.services import campaign_create

V1 = "/api/partner-gateway/v1/campaigns"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scheduledTime", "9999-12-31T23:59:59-14:00"),
        ("scheduledDate", "0001-01-01T00:00:00+14:00"),
    ],
)
def test_unrepresentable_schedule_is_refused(api, field, value):
    """A time PostgreSQL stores but Python cannot read back is a 400 naming it."""
    response = api.post(V1, {"name": "Far", "channel": "SMS", field: value})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "fail"
    assert list(body["data"]) == [field]
    assert not Campaign.objects.exists()


def test_schedule_more_than_a_year_ahead_is_refused(api):
    response = api.post(
        V1, {"name": "Later", "channel": "SMS", "scheduledTime": "2030-01-01T08:00:00Z"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"scheduledTime": "The scheduled time must be within a year from now."},
    }


def test_confirm_refuses_a_schedule_beyond_a_year(api, account, contact_list):
    created = api.post(
        V1,
        {
            "name": "Promo",
            "channel": "SMS",
            "sender": "ShopItalia",
            "text": "Ciao",
            "contactListId": contact_list.pk,
        },
    ).json()
    response = api.put(
        f"{V1}/{created['id']}/confirm",
        {"scheduledDate": "2031-11-29T08:00:00.000+0000"},
    )
    assert response.status_code == 400
    assert list(response.json()["data"]) == ["scheduledDate"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"goalContactCount": 2**31}, "goalContactCount"),
        ({"sender": "+123456789012345"}, "sender"),
        ({"templateId": "t" * 201}, "templateId"),
        ({"channel": "RCS", "message": "t" * 201}, "message"),
        ({"name": "bad\u0000name"}, "name"),
        ({"description": "nul\u0000"}, "description"),
        ({"templateVariables": {"code": "x\u0000"}}, "code"),
        ({"templateVariables": {"co\u0000de": "x"}}, "templateVariables"),
    ],
)
def test_unstorable_fields_are_refused(api, body, field):
    """Each field is bounded as its column is; the error names the field."""
    response = api.post(V1, {"name": "Promo", "channel": "SMS", **body})
    assert response.status_code == 400, response.content
    assert response.json()["status"] == "fail"
    assert field in response.json()["data"]
    assert not Campaign.objects.exists()


def test_a_fifteen_digit_sender_without_plus_is_kept(api):
    response = api.post(
        V1, {"name": "N", "channel": "SMS", "sender": "393331234567890"}
    )
    assert response.status_code == 201
    assert response.json()["sender"] == "393331234567890"


def test_calculate_refuses_a_cap_over_32_bits(api, contact_list):
    created = api.post(
        V1,
        {
            "name": "P",
            "sender": "Shop",
            "text": "Ciao",
            "contactListId": contact_list.pk,
        },
    ).json()
    response = api.post(
        f"{V1}/{created['id']}/calculateGoal", {"goalContactCount": 2**31}
    )
    assert response.status_code == 400
    assert list(response.json()["data"]) == ["goalContactCount"]


def test_lone_surrogate_in_json_is_refused(api):
    response = api.client.post(
        V1,
        data=b'{"name": "\\ud800", "channel": "SMS"}',
        content_type="application/json",
        headers={"X-Api-Key": api.key},
    )
    assert response.status_code == 400
    assert response.json()["status"] == "fail"
    assert not Campaign.objects.exists()


def test_invalid_utf8_body_is_refused(api):
    response = api.client.post(
        V1,
        data=b'{"name": "\xff\xfe", "channel": "SMS"}',
        content_type="application/json",
        headers={"X-Api-Key": api.key},
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"body": "The body is not valid UTF-8."},
    }


def test_calculate_body_with_invalid_utf8_is_refused(api, contact_list):
    """The optional bodies (calculateGoal, confirm) go through the same parser."""
    created = api.post(
        V1,
        {
            "name": "P",
            "sender": "Shop",
            "text": "Ciao",
            "contactListId": contact_list.pk,
        },
    ).json()
    response = api.client.post(
        f"{V1}/{created['id']}/calculateGoal",
        data=b'{"goalContactCount": "\xff"}',
        content_type="application/json",
        headers={"X-Api-Key": api.key},
    )
    assert response.status_code == 400


def test_body_over_ten_megabytes_is_413_json(api):
    response = api.client.post(
        V1,
        data=b'{"name": "' + b"x" * (10 * 2**20) + b'"}',
        content_type="application/json",
        headers={"X-Api-Key": api.key},
    )
    assert response.status_code == 413
    assert response.json()["status"] == "fail"
    assert "body" in response.json()["data"]


def test_body_over_ten_megabytes_is_413_page(client_logged):
    response = client_logged.post(
        "/campaigns/new/", data=b"x" * (10 * 2**20 + 1), content_type="text/plain"
    )
    assert response.status_code == 413
    assert b"too large" in response.content


@pytest.mark.parametrize("param", ["q", "channel", "status"])
def test_nul_in_api_query_is_400(api, param):
    response = api.get(f"{V1}?{param}=a%00b")
    assert response.status_code == 400
    assert response.json()["status"] == "fail"


@pytest.mark.parametrize(
    "path", ["/campaigns/?q=a%00b", "/campaigns/?channel=%00", "/contacts/?q=%00"]
)
def test_nul_in_page_query_is_400(client_logged, path):
    response = client_logged.get(path)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "stored",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
        datetime(1, 1, 1, 12, 0, tzinfo=UTC),
    ],
)
def test_a_stored_extreme_date_takes_no_page_down(client_logged, account, user, stored):
    """Rows stored before input was bounded still render: the formatter never raises."""
    campaign = campaign_create(account=account, name="Old", channel="SMS")
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=stored)
    for path in ["/", "/campaigns/", f"/campaigns/{campaign.pk}/"]:
        assert client_logged.get(path).status_code == 200, path
    staff = Client()
    user.is_staff = user.is_superuser = True
    user.save()
    staff.force_login(user)
    assert staff.get("/admin/campaigns/campaign/").status_code == 200


def test_migration_repairs_a_time_python_cannot_read(client_logged, account):
    """A year-10000 time stored before the bounds is moved where it can be read."""
    campaign = campaign_create(account=account, name="Old", channel="SMS")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_campaign SET scheduled_at = '10000-01-01 09:59:59+00' "
            "WHERE id = %s",
            [campaign.pk],
        )
    repair = importlib.import_module(
        "campaigns.migrations.0010_h_findings_unreadable_dates"
    ).repair
    repair(global_apps, None)
    campaign.refresh_from_db()
    assert campaign.scheduled_at == datetime(9999, 12, 30, tzinfo=UTC)
    assert client_logged.get(f"/campaigns/{campaign.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rrule": "FREQ=WEEKLY\u0000"}, "rrule"),
        ({"timezone": "Europe/" + "x" * 100}, "timezone"),
        ({"startsAt": "9999-12-31T23:59:59-14:00"}, "startsAt"),
    ],
)
def test_recurring_fields_are_bounded_too(api, contact_list, body, field):
    base = {
        "name": "Weekly",
        "sender": "Shop",
        "text": "Ciao",
        "contactListId": contact_list.pk,
        "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0",
    }
    response = api.post("/api/partner-gateway/v1/recurring-campaigns", {**base, **body})
    assert response.status_code == 400, response.content
    assert field in response.json()["data"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "nul\u0000"},
        {"name": "ok", "description": "\u0000"},
    ],
)
def test_contact_list_fields_refuse_nul(api, body):
    response = api.post("/api/partner-gateway/v1/contact-lists", body)
    assert response.status_code == 400
    assert response.json()["status"] == "fail"


def test_contacts_refuse_nul_in_names_and_attributes(api, account):
    created = api.post("/api/partner-gateway/v1/contact-lists", {"name": "L"}).json()
    url = f"/api/partner-gateway/v1/contact-lists/{created['id']}/contacts"
    for contact in (
        {"phoneNumber": "+393331234567", "firstName": "A\u0000"},
        {"phoneNumber": "+393331234567", "attributes": {"code": "\u0000"}},
        {"phoneNumber": "+393331234567", "attributes": {"c\u0000": "x"}},
    ):
        response = api.post(url, {"contacts": [contact]})
        assert response.status_code == 400, (contact, response.content)
