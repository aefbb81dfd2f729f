"""A campaign's own pace: "at most N a minute" or "spread over H hours".

Enforced by a token bucket per campaign (`messaging.ratelimit`, key
`campaign:<id>`, one token per message) before the route's own bucket, so a
campaign never goes faster than either; the forecast reads the same number.
"""

from __future__ import annotations

from campaigns.models import Campaign

# The bounds of what a user may ask: a million a minute is beyond any route,
# and a week is the longest spread that still reads as one campaign.
MAX_PER_MINUTE = 1_000_000
MAX_SPREAD_HOURS = 168


def campaign_rate(campaign: Campaign) -> float:
    """The campaign's own pace in messages per second; 0 when it has none.

    "Spread over H hours" is the pace that sends every recipient in H hours.
    """
    if campaign.max_per_minute:
        return campaign.max_per_minute / 60
    if campaign.spread_hours and campaign.recipient_count:
        return campaign.recipient_count / (campaign.spread_hours * 3600)
    return 0.0
