"""Campaign fixtures: contact lists built row by row, as an import would leave them."""

from __future__ import annotations

import pytest

from contacts.models import Contact, ContactList


def make_list(account, rows: list[dict], name: str = "Clienti") -> ContactList:
    """A list whose contacts are `rows` (phone, status, country, names, attributes)."""
    contact_list = ContactList.objects.create(account=account, name=name)
    Contact.objects.bulk_create(
        Contact(
            contact_list=contact_list,
            raw_phone=row.get("raw", row.get("phone", "")),
            phone=row.get("phone", ""),
            status=row.get("status", "valid"),
            reason=row.get("reason", ""),
            country=row.get("country", "IT"),
            first_name=row.get("first_name", ""),
            last_name=row.get("last_name", ""),
            attributes=row.get("attributes", {}),
            source="api",
        )
        for row in rows
    )
    keys = sorted({k for row in rows for k in row.get("attributes", {})})
    ContactList.objects.filter(pk=contact_list.pk).update(
        total_count=len(rows), attribute_keys=keys
    )
    return contact_list


def italian_rows(n: int, start: int = 0) -> list[dict]:
    return [
        {"phone": f"+39333{start + i:07d}", "first_name": "Mario", "country": "IT"}
        for i in range(n)
    ]


@pytest.fixture
def contact_list(account) -> ContactList:
    """Ten valid Italian numbers, one malformed, one duplicate."""
    rows = [
        *italian_rows(10),
        {"raw": "12ab", "phone": "", "status": "invalid", "reason": "not_a_number"},
        {"phone": "+393330000000", "status": "duplicate"},
    ]
    return make_list(account, rows)
