"""Two confirms of one campaign at the same moment: exactly one wins, one reservation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.errors import DomainError
from accounts.models import LedgerEntry
from accounts.services import account_create
from campaigns.models import Campaign
from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
from tests.campaigns.conftest import italian_rows, make_list


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirms_one_winner():
    account = account_create(name="Race", credit=Decimal("100.00"))
    contact_list = make_list(account, italian_rows(100))
    campaign = campaign_create(
        account=account,
        name="R",
        text="Ciao",
        contact_list=contact_list,
    )
    campaign_calculate(account=account, pk=campaign.pk)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def confirm() -> None:
        barrier.wait()
        try:
            campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
            outcomes.append("won")
        except DomainError as exc:
            outcomes.append(f"{exc.status_code}")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["409", "won"]
    assert Campaign.objects.get(pk=campaign.pk).status == "CONFIRMED"
    assert LedgerEntry.objects.filter(kind="reservation").count() == 1
    account.refresh_from_db()
    assert account.balance == Decimal("96.50")


def test_at_most_ten_active_campaigns(account, settings):
    settings.CAMPAIGN_MAX_ACTIVE = 2
    contact_list = make_list(account, italian_rows(2))
    ids = [
        campaign_create(
            account=account,
            **{"name": f"c{i}", "text": "x", "contact_list": contact_list},
        ).pk
        for i in range(3)
    ]
    for pk in ids[:2]:
        campaign_confirm(account=account, pk=pk, send_immediately=True)
    with pytest.raises(DomainError, match="At most 2 campaigns") as refused:
        campaign_confirm(account=account, pk=ids[2], send_immediately=True)
    assert refused.value.status_code == 409


def test_maintenance_window_warning(api, contact_list):
    cid = api.post(
        "/api/campaigns", {"name": "n", "text": "x", "contactListId": contact_list.pk}
    ).json()["id"]
    # 02:30 in Rome (UTC+1 in winter) is 01:30 UTC, on the next 10 January.
    now = timezone.now()
    january = datetime(now.year, 1, 10, 1, 30, tzinfo=UTC)
    if january <= now:
        january = january.replace(year=now.year + 1)
    body = api.put(
        f"/api/campaigns/{cid}/confirm", {"scheduledDate": january.isoformat()}
    ).json()
    assert body["status"] == "SCHEDULED"
    assert "02:00 and 04:00" in body["warnings"][0]


def test_schedule_in_the_past_is_refused(api, contact_list):
    cid = api.post(
        "/api/campaigns", {"name": "n", "text": "x", "contactListId": contact_list.pk}
    ).json()["id"]
    response = api.put(
        f"/api/campaigns/{cid}/confirm", {"scheduledDate": "2020-01-10T01:30:00Z"}
    )
    assert response.status_code == 400
    assert "scheduledDate" in response.json()["data"]
