"""Create an account with opening credit and an API key; print one JSON line."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.apikeys import apikey_create
from accounts.services import account_create


class Command(BaseCommand):
    help = 'Create an account; prints {"account_id": ..., "api_key": "..."} on stdout.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--credit", default="0")
        parser.add_argument("--owner", help="Owner's e-mail (created if new)")

    def handle(
        self, *args, name: str, credit: str, owner: str | None, **options
    ) -> None:
        try:
            amount = Decimal(credit)
        except InvalidOperation as exc:
            raise CommandError(
                f"--credit must be a decimal amount, not {credit!r}"
            ) from exc
        if amount < 0:
            raise CommandError("--credit cannot be negative")
        account = account_create(name=name, credit=amount, owner_email=owner)
        _key, raw_key = apikey_create(account=account, name="create_account")
        self.stdout.write(json.dumps({"account_id": account.pk, "api_key": raw_key}))
