"""Move schedules stored before input was bounded out of what Python cannot read.

PostgreSQL keeps timestamps up to year 294276 and back to 4713 BC; Python's
datetime only years 1 to 9999. A `9999-12-31T23:59:59-14:00` accepted before
issue 11 is year 10000 in UTC, and every query reading the row raised: the
campaign could not be listed, shown or canceled. Such a time becomes
9999-12-30 (never due, so nothing is sent by surprise, and the campaign can
now be opened and canceled to release its reservation).
"""

from datetime import UTC, datetime

from django.db import migrations
from django.db.models import Q

NEVER = datetime(9999, 12, 30, tzinfo=UTC)
FIRST = datetime(1, 1, 2, tzinfo=UTC)
LAST = datetime(9999, 12, 31, tzinfo=UTC)


def unreadable(field: str) -> Q:
    return Q(**{f"{field}__lt": FIRST}) | Q(**{f"{field}__gte": LAST})


def repair(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    RecurringCampaign = apps.get_model("campaigns", "RecurringCampaign")
    Campaign.objects.filter(unreadable("scheduled_at")).update(scheduled_at=NEVER)
    for field in ("starts_at", "ends_at", "next_run_at"):
        RecurringCampaign.objects.filter(unreadable(field)).update(**{field: NEVER})


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_h_smart_links")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
