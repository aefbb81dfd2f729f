"""Recurring campaigns built through the real service, at a chosen moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from accounts.models import Account
from campaigns.models import RecurringCampaign
from campaigns.recurring import recurring_create
from contacts.models import ContactList

ROME = ZoneInfo("Europe/Rome")
MONDAYS_AT_8 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"
REMINDER = (
    "Studio Dentistico Bianchi: ciao {{first_name}}, ti ricordiamo gli appuntamenti "
    "di questa settimana. Per spostarli chiama lo 02 1234567."
)
# Wednesday 18 March 2026, before the last Sunday of March (29 March).
BEFORE_SPRING = datetime(2026, 3, 18, 10, 15, tzinfo=ROME)
BEFORE_AUTUMN = datetime(2026, 10, 14, 10, 15, tzinfo=ROME)


def weekly_reminder(
    account: Account,
    contact_list: ContactList,
    *,
    now: datetime = BEFORE_SPRING,
    **data: Any,
) -> RecurringCampaign:
    """The seeds' weekly reminder: every Monday at 08:00 in Rome, to `contact_list`."""
    values = {
        "name": "Promemoria settimanale",
        "sender": "StudioBian",
        "text": REMINDER,
        "contact_list": contact_list,
        "rrule": MONDAYS_AT_8,
        "timezone": "Europe/Rome",
    }
    return recurring_create(account=account, now=now, **{**values, **data})
