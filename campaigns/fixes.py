"""The cost step's one-click fixes: change the campaign, then price it again.

The quote already priced each fix (`Campaign.quote["insights"][fix]["saving"]`);
applying one goes through the same services as any edit, so the new price is a
fresh calculation and not the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.models import Account
from campaigns.error_codes import CampaignErrorCode
from campaigns.models import Campaign
from campaigns.quotes import without_ucs2
from campaigns.selectors import campaign_get
from campaigns.services import CampaignSettings, campaign_calculate, campaign_update
from messaging import segments

# The keys match the quote's insights, which say what each fix would save.
LOOKALIKES = "lookalikes"
TRANSLITERATION = "transliteration"
REMOVAL = "removal"


@dataclass(frozen=True)
class FixResult:
    campaign: Campaign
    before: Decimal
    after: Decimal

    @property
    def saving(self) -> Decimal:
        return self.before - self.after


def campaign_apply_fix(*, account: Account, pk: int, fix: str, actor=None) -> FixResult:
    """Replace the template's look-alikes, remove the characters that force UCS-2,
    or transliterate field values, and re-price.

    The two steps are separate transactions on purpose: the calculation may read a
    million rows and must not hold the campaign lock. If it fails, the campaign is
    left CONFIGURED with the fix applied, and Calculate prices it.
    """
    campaign = campaign_get(account=account, pk=pk)
    if fix == LOOKALIKES:
        changes: CampaignSettings = {"text": segments.replace_lookalikes(campaign.text)}
    elif fix == REMOVAL:
        changes = {"text": without_ucs2(campaign.text)}
    elif fix == TRANSLITERATION:
        changes = {"transliterate_fields": True}
    else:
        raise DomainError(
            {"fix": _("Unknown fix.")}, code=CampaignErrorCode.UNKNOWN_FIX
        )
    before = campaign.estimated_cost or Decimal("0")
    campaign_update(account=account, pk=pk, actor=actor, **changes)
    campaign = campaign_calculate(account=account, pk=pk, actor=actor)
    return FixResult(campaign=campaign, before=before, after=campaign.estimated_cost)
