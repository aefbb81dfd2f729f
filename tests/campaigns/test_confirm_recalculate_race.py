"""A recalculation racing a confirm: the reservation is always the confirmed price."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.errors import DomainError
from accounts.models import LedgerEntry
from accounts.services import account_create
from campaigns.models import Campaign
from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
from tests.campaigns.conftest import italian_rows, make_list

ROUNDS = 50


def _race(account, pk: int, goal: int) -> list[str]:
    """Run calculateGoal(goal) and confirm at the same moment; their outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(step) -> None:
        barrier.wait()
        try:
            step()
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(str(exc.status_code))
        finally:
            connection.close()

    steps = [
        lambda: campaign_calculate(account=account, pk=pk, goal_contact_count=goal),
        lambda: campaign_confirm(account=account, pk=pk, send_immediately=True),
    ]
    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_confirm_reserves_exactly_the_price_it_confirms(settings):
    settings.CAMPAIGN_MAX_ACTIVE = ROUNDS + 1
    account = account_create(name="Race", credit=Decimal("5000.00"))
    contact_list = make_list(account, italian_rows(430))
    confirmed = 0
    for round_ in range(ROUNDS):
        campaign = campaign_create(
            account=account, name=f"r{round_}", text="Ciao", contact_list=contact_list
        )
        # Priced for 10 recipients (0.35 EUR); the racing calculation asks for 430.
        campaign_calculate(account=account, pk=campaign.pk, goal_contact_count=10)
        _race(account, campaign.pk, goal=430)
        campaign.refresh_from_db()
        if campaign.status == "CONFIRMED":
            confirmed += 1
            reserved = LedgerEntry.objects.get(
                kind="reservation", reference=campaign.reference
            ).amount
            assert campaign.reserved_amount == campaign.estimated_cost, round_
            assert abs(reserved) == campaign.estimated_cost, round_
        else:
            assert campaign.status == "COST_CALCULATED"
            assert not LedgerEntry.objects.filter(reference=campaign.reference).exists()
    assert confirmed  # the race was not always lost by the confirm
    account.refresh_from_db()
    held = sum(c.reserved_amount for c in Campaign.objects.filter(account=account))
    assert account.balance + held == Decimal("5000.00")
