"""Campaign rules about routes: a route an active campaign is sending through stays."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.models import Account
from campaigns.models import Campaign
from campaigns.states import ACTIVE
from messaging.routes import route_delete, route_get


def route_delete_unused(*, account: Account, pk: int) -> None:
    """Delete a route unless an active campaign uses it (409: disable it instead).

    A sending or paused campaign still has messages the route took and whose
    reports arrive at its callback; deleting it would lose them.
    """
    route = route_get(account=account, pk=pk)
    in_use = Campaign.objects.filter(
        account=account, gateway=route.key, status__in=ACTIVE
    ).exists()
    if in_use:
        raise Conflict(
            {
                "id": _(
                    "An active campaign sends through this route: disable it "
                    "instead, or wait until the campaign completes."
                )
            }
        )
    route_delete(account=account, pk=pk)
