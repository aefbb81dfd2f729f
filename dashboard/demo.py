"""Demo data for the quick start, from every app; idempotent.

A finished demo campaign comes with the sending engine: until then the demo has
an account, its credit and a contact list.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.credit import credit_top_up
from accounts.models import Account, Membership
from contacts.demo import demo_contacts_load

DEMO_ACCOUNT = "Demo Shop"


def demo_load(*, credit: Decimal) -> Account:
    """Create user demo/demo, owner of "Demo Shop" with `credit` (once)."""
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(
            username="demo",
            defaults={"email": "demo@example.com", "first_name": "Demo"},
        )
        if created:
            user.set_password("demo")
            user.save(update_fields=["password"])
        membership = Membership.objects.filter(
            user=user, account__name=DEMO_ACCOUNT
        ).first()
        if membership is None:
            account = Account.objects.create(
                name=DEMO_ACCOUNT, default_sender="DemoShop"
            )
            Membership.objects.create(
                user=user, account=account, role=Membership.Role.OWNER
            )
            credit_top_up(account=account, amount=credit, note="Demo credit")
        else:
            account = membership.account
    demo_contacts_load(account=account, user=user)
    account.refresh_from_db()
    return account
