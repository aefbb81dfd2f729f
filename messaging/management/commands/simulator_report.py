"""Print what the simulator received for a campaign, as one JSON line."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.db.models import Count

from messaging.models import SimulatorSubmission


class Command(BaseCommand):
    help = 'One JSON line: {"submissions": N, "distinctRecipients": M, "duplicates": D}'

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", type=int, required=True)

    def handle(self, *args, **options) -> None:
        rows = SimulatorSubmission.objects.filter(campaign_id=options["campaign"])
        totals = rows.aggregate(n=Count("id"), m=Count("phone", distinct=True))
        report = {
            "submissions": totals["n"],
            "distinctRecipients": totals["m"],
            "duplicates": totals["n"] - totals["m"],
        }
        self.stdout.write(json.dumps(report))
