"""Re-encrypt every route's secrets with the newest MEGAFONO_ENCRYPTION_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from messaging.routes import routes_secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt route secrets with the first key of MEGAFONO_ENCRYPTION_KEY; "
        "afterwards the older keys can be removed."
    )

    def handle(self, *args, **options) -> None:
        count = routes_secrets_rotate()
        self.stdout.write(f"{count} route(s) re-encrypted")
