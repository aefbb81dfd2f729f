"""The quick start's demo list is created once, with names and discount codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contacts.demo import DEMO_LIST
from contacts.models import ContactList
from dashboard.demo import demo_load

pytestmark = pytest.mark.smoke


def test_demo_list_is_created_once(db):
    account = demo_load(credit=Decimal("1500.00"))
    demo_load(credit=Decimal("1500.00"))
    contact_list = ContactList.objects.get(account=account, name=DEMO_LIST)
    assert (contact_list.total_count, contact_list.valid_count) == (50, 50)
    assert contact_list.attribute_keys == ["code"]
    first = contact_list.contacts.order_by("pk").first()
    assert (first.phone, first.first_name, first.attributes) == (
        "+393330000001",
        "Marco",
        {"code": "FEDELE001"},
    )
