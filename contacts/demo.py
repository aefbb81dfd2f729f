"""The quick start's demo list: 50 Italian customers with a discount code each."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import Account
from contacts.models import ContactList, ContactSource
from contacts.services import NewContact, contact_list_create, contacts_add

DEMO_LIST = "Clienti fedeli"
_FIRST = [
    "Giulia", "Marco", "Sofia", "Luca", "Chiara", "Andrea", "Francesca", "Matteo",
    "Elena", "Davide", "Martina", "Alessandro", "Sara", "Lorenzo", "Valentina",
    "Niccolò", "Federica", "Simone", "Alice", "Tommaso", "Beatrice", "Riccardo",
    "Ilaria", "Gabriele", "Serena",
]  # fmt: skip
_LAST = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
    "Ricci", "Marino", "Greco",
]  # fmt: skip


def demo_contacts_load(*, account: Account, user: AbstractBaseUser) -> None:
    """Create the demo list once, through the same service as the API."""
    with transaction.atomic():
        if ContactList.objects.filter(account=account, name=DEMO_LIST).exists():
            return
        contact_list = contact_list_create(
            account=account,
            name=DEMO_LIST,
            description="Clienti con codice sconto personale (dati dimostrativi).",
        )
        rows = [
            NewContact(
                phone=f"+39 333 000 {i:04d}",
                first_name=_FIRST[i % len(_FIRST)],
                last_name=_LAST[i % len(_LAST)],
                attributes={"code": f"FEDELE{i:03d}"},
            )
            for i in range(1, 51)
        ]
        contacts_add(
            contact_list=contact_list,
            rows=rows,
            default_region="IT",
            source=ContactSource.MANUAL,
        )
