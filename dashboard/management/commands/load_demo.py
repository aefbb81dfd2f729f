"""Load the quick start's demo data (idempotent): user demo/demo and its account."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from dashboard.demo import demo_load


class Command(BaseCommand):
    help = "Create the demo user (demo/demo) with an account and credit; safe to rerun."

    def handle(self, *args, **options) -> None:
        account = demo_load(credit=Decimal("1500.00"))
        user = get_user_model().objects.get(username="demo")
        self.stdout.write(
            f"Demo ready: sign in at http://127.0.0.1:8000/accounts/login/ "
            f"as {user.username} / demo (account “{account.name}”)."
        )
