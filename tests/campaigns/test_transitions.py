"""Every (from, to) pair of statuses: the table's allowed steps succeed, the rest 409."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import Conflict
from campaigns.models import Campaign, CampaignEvent
from campaigns.states import TRANSITIONS, Status
from campaigns.transitions import InvalidTransition, campaign_transition

PAIRS = [(old, new) for old in Status.values for new in Status.values]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_each_pair_follows_the_table(account, old, new):
    campaign = Campaign.objects.create(
        account=account,
        name="walk",
        status=old,
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    if new in TRANSITIONS[old]:
        campaign_transition(campaign=campaign, target=Status(new))
        assert Campaign.objects.get(pk=campaign.pk).status == new
        events = CampaignEvent.objects.filter(campaign=campaign)
        if old == new:
            assert not events.exists()
        else:
            assert list(events.values_list("from_status", "to_status")) == [(old, new)]
    else:
        with pytest.raises(Conflict) as refused:
            campaign_transition(campaign=campaign, target=Status(new))
        assert refused.value.status_code == 409
        assert Campaign.objects.get(pk=campaign.pk).status == old
        assert not CampaignEvent.objects.filter(campaign=campaign).exists()


def test_a_stale_read_loses_to_the_change_that_won(account):
    """Two holders of the same CONFIRMED row: the first cancel wins, the second is
    refused in the words of the status the row is in now."""
    campaign = Campaign.objects.create(account=account, name="x", status="CONFIRMED")
    stale = Campaign.objects.get(pk=campaign.pk)
    campaign_transition(campaign=campaign, target=Status.CANCELED)
    with pytest.raises(InvalidTransition, match="canceled campaign cannot be canceled"):
        campaign_transition(campaign=stale, target=Status.CANCELED)
    assert CampaignEvent.objects.filter(campaign=campaign).count() == 1
