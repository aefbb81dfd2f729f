"""Django admin: recurring campaigns are read-only; pause, resume and end are actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import RecurringCampaign
from tests.campaigns.recurring_builders import weekly_reminder

URL = "/admin/campaigns/recurringcampaign/"


@pytest.fixture
def staff_client(client, db):
    admin = get_user_model().objects.create_superuser(
        username="staff", password="pw-12345!", email="staff@example.com"
    )
    client.force_login(admin)
    return client


def act(staff_client, action: str, *ids: int):
    return staff_client.post(
        URL, {"action": action, "_selected_action": list(ids)}, follow=True
    )


def test_changelist_and_read_only_page(staff_client, account, contact_list):
    recurring = weekly_reminder(account, contact_list, now=datetime.now(UTC))
    html = staff_client.get(URL).content.decode()
    assert "Promemoria settimanale" in html
    assert "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0" in html
    assert "By status" in html
    page = staff_client.get(f"{URL}{recurring.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert staff_client.get(f"{URL}add/").status_code == 403


def test_actions_call_the_services(staff_client, account, contact_list):
    recurring = weekly_reminder(account, contact_list, now=datetime.now(UTC))
    assert "1 paused." in act(staff_client, "pause", recurring.pk).content.decode()
    recurring.refresh_from_db()
    assert (recurring.status, recurring.next_run_at) == ("PAUSED", None)

    assert "1 resumed." in act(staff_client, "resume", recurring.pk).content.decode()
    recurring.refresh_from_db()
    assert recurring.status == "ACTIVE"
    assert recurring.next_run_at is not None

    assert "1 ended." in act(staff_client, "end", recurring.pk).content.decode()
    html = act(staff_client, "pause", recurring.pk).content.decode()
    assert "has ended and cannot be paused." in html
    assert RecurringCampaign.objects.get().status == "ENDED"
