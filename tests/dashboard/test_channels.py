"""The Channels and Replies pages, and routes in admin: secrets never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from messaging.models import InboundMessage, Route
from messaging.routes import RouteChanges, route_create, route_spec

SECRET = "page-secret-99887766"


def make(account, name="Main", **settings):
    return route_create(
        account=account,
        kind="simulator",
        channel="SMS",
        changes=RouteChanges(name=name, settings=settings),
    )


def form_data(**values):
    data = {
        "name": "Mine",
        "channel": "SMS",
        "priority": "10",
        "rate_limit": "0",
        "enabled": "on",
        "settings.deliveredRate": "0.5",
        "settings.undeliveredRate": "0.5",
        "settings.expiredRate": "0",
        "settings.rejectRate": "0",
        "settings.notCapableRate": "0",
        "settings.minDelaySeconds": "0",
        "settings.maxDelaySeconds": "1",
    }
    data.update(values)
    return data


def test_create_from_the_form_keeps_the_secret_out_of_every_page(client_logged):
    answer = client_logged.post(
        "/channels/new/simulator/", form_data(**{"settings.signingSecret": SECRET})
    )
    assert answer.status_code == 302
    route = Route.objects.get()
    assert route_spec(route.key).settings["signingSecret"] == SECRET
    listing = client_logged.get("/channels/")
    assert "Mine" in listing.content.decode()
    edit = client_logged.get(f"/channels/{route.pk}/").content.decode()
    assert "…7766" in edit
    assert SECRET not in listing.content.decode() + edit


def test_an_edit_with_the_secret_left_blank_keeps_it(client_logged, account):
    route = make(account, signingSecret=SECRET)
    answer = client_logged.post(f"/channels/{route.pk}/", form_data(name="Renamed"))
    assert answer.status_code == 302
    route.refresh_from_db()
    assert route.name == "Renamed"
    assert route_spec(route.key).settings["signingSecret"] == SECRET


def test_bad_settings_come_back_on_their_field(client_logged):
    answer = client_logged.post(
        "/channels/new/simulator/",
        form_data(**{"settings.minDelaySeconds": "9", "settings.maxDelaySeconds": "1"}),
    )
    assert answer.status_code == 422
    assert (
        "maxDelaySeconds must not be below minDelaySeconds" in answer.content.decode()
    )
    assert not Route.objects.exists()


def test_a_demoted_route_shows_its_badge_and_can_be_restored(client_logged, account):
    route = make(account)
    Route.objects.filter(pk=route.pk).update(
        demoted_until=timezone.now() + timedelta(minutes=5)
    )
    assert "Demoted until" in client_logged.get("/channels/").content.decode()
    client_logged.post(f"/channels/{route.pk}/restore/")
    route.refresh_from_db()
    assert route.demoted_until is None


def test_make_default_and_delete(client_logged, account):
    first = make(account, "First")
    second = make(account, "Second")
    client_logged.post(f"/channels/{second.pk}/default/")
    assert Route.objects.get(is_default=True) == second
    client_logged.post(f"/channels/{first.pk}/delete/")
    assert list(Route.objects.all()) == [second]


def test_another_account_gets_404(account, other_client):
    route = make(account)
    for path in (
        f"/channels/{route.pk}/",
        f"/channels/{route.pk}/delete/",
        f"/channels/{route.pk}/default/",
        f"/channels/{route.pk}/restore/",
    ):
        assert other_client.post(path).status_code == 404
    assert Route.objects.filter(pk=route.pk, is_default=True).exists()


def test_replies_page_lists_and_filters(client_logged, account, other_account):
    InboundMessage.objects.create(
        account=account,
        gateway="r1",
        phone="+393330000001",
        text="BASTA",
        keyword="BASTA",
    )
    InboundMessage.objects.create(
        account=account, gateway="r1", phone="+393330000002", text="Grazie"
    )
    InboundMessage.objects.create(
        account=other_account, gateway="r9", phone="+393330000003", text="Altro"
    )
    page = client_logged.get("/channels/replies/").content.decode()
    assert "Grazie" in page
    assert "BASTA" in page
    assert "Altro" not in page
    filtered = client_logged.get("/channels/replies/?keyword=any").content.decode()
    assert "Grazie" not in filtered


@pytest.fixture
def staff_client(db):
    staff = get_user_model().objects.create_superuser("staff", "s@example.com", "pw")
    client = Client()
    client.force_login(staff)
    return client


def test_admin_never_shows_a_secret(staff_client, account):
    route = make(account, signingSecret=SECRET)
    listing = staff_client.get("/admin/messaging/route/")
    change = staff_client.get(f"/admin/messaging/route/{route.pk}/change/")
    assert change.status_code == 200
    assert "signingSecret (…7766)" in change.content.decode()
    assert SECRET not in listing.content.decode() + change.content.decode()


def test_the_form_has_one_field_per_setting_of_the_kind():
    from dashboard.route_forms import RouteForm

    form = RouteForm(kind="simulator")
    names = [field.name for field in form.settings_fields()]
    assert names == [
        "settings.deliveredRate",
        "settings.undeliveredRate",
        "settings.expiredRate",
        "settings.rejectRate",
        "settings.notCapableRate",
        "settings.minDelaySeconds",
        "settings.maxDelaySeconds",
        "settings.outage",
        "settings.signingSecret",
    ]
    assert form["settings.signingSecret"].field.widget.input_type == "password"
