"""The wizard's step indicator: which steps exist, which are done, where each is."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from campaigns.states import EDITABLE, PRICED

STEPS: list[tuple[str, Promise]] = [
    ("setup", _("Campaign")),
    ("message", _("Message")),
    ("recipients", _("Recipients")),
    ("cost", _("Cost")),
    ("confirm", _("Confirm")),
]


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    url: str
    is_done: bool
    is_current: bool


def _done(campaign: Campaign | None, name: str) -> bool:
    if campaign is None:
        return False
    return {
        "setup": True,
        "message": bool(campaign.text or campaign.template_id),
        "recipients": campaign.contact_list_id is not None,
        "cost": campaign.status in PRICED,
        "confirm": campaign.status in PRICED - EDITABLE,
    }[name]


def wizard_steps(campaign: Campaign | None, current: str) -> list[Step]:
    """The five steps; before the campaign exists only the first one has a page."""
    steps = []
    for name, label in STEPS:
        if campaign is None:
            url = reverse("campaigns:new") if name == "setup" else ""
        else:
            url = reverse(f"campaigns:{name}", args=[campaign.pk])
        steps.append(
            Step(
                name=name,
                label=label,
                url=url,
                is_done=_done(campaign, name),
                is_current=name == current,
            )
        )
    return steps


def next_step_url(campaign: Campaign) -> str:
    """Where "Continue" on the campaign page leads: the first step not done yet."""
    for step in wizard_steps(campaign, ""):
        if not step.is_done:
            return step.url
    return campaign.get_absolute_url()
