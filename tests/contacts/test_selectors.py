"""Reads the campaigns build on: tenancy, suppression, keyset pages."""

from __future__ import annotations

import pytest

from accounts.errors import NotFound
from contacts.models import BlacklistEntry, Contact, OptOut
from contacts.paging import keyset_page
from contacts.selectors import contact_list_get, suppressed_q, with_opted_out
from contacts.services import NewContact, contact_list_create, contacts_add

pytestmark = pytest.mark.smoke


@pytest.fixture
def contacts(account):
    contact_list = contact_list_create(account=account, name="Clienti")
    rows = [NewContact(f"33300000{i:02d}") for i in range(10)]
    contacts_add(contact_list=contact_list, rows=rows, default_region="IT")
    return contact_list.contacts.all()


def test_another_accounts_list_is_not_found(account, other_account):
    theirs = contact_list_create(account=other_account, name="Theirs")
    with pytest.raises(NotFound):
        contact_list_get(account=account, pk=theirs.pk)


def test_suppressed_numbers_are_excluded_set_based(contacts, account, other_account):
    OptOut.objects.create(account=account, phone="+393330000001")
    BlacklistEntry.objects.create(phone="+393330000002")
    OptOut.objects.create(account=other_account, phone="+393330000003")
    sendable = contacts.exclude(suppressed_q(account=account))
    assert sendable.count() == 8
    assert set(
        contacts.filter(suppressed_q(account=account)).values_list("phone", flat=True)
    ) == {
        "+393330000001",
        "+393330000002",
    }
    flags = dict(
        with_opted_out(contacts, account=account).values_list("phone", "is_opted_out")
    )
    assert [phone for phone, flagged in flags.items() if flagged] == [
        "+393330000001",
        "+393330000002",
    ]


def test_suppression_through_a_relation(contacts, account):
    OptOut.objects.create(account=account, phone="+393330000004")
    lists = contacts.first().contact_list.__class__.objects.filter(
        suppressed_q(account=account, field="contacts__phone")
    )
    assert lists.distinct().count() == 1


def test_keyset_pages_walk_forward_backward_and_to_the_end(contacts):
    ids = list(contacts.order_by("pk").values_list("pk", flat=True))
    first = keyset_page(contacts, size=4)
    assert [c.pk for c in first.items] == ids[:4]
    assert (first.next_after, first.prev_before) == (ids[3], None)
    second = keyset_page(contacts, after=first.next_after, size=4)
    assert [c.pk for c in second.items] == ids[4:8]
    assert (second.next_after, second.prev_before) == (ids[7], ids[4])
    last = keyset_page(contacts, last=True, size=4)
    assert [c.pk for c in last.items] == ids[6:]
    assert (last.next_after, last.prev_before) == (None, ids[6])
    back = keyset_page(contacts, before=second.prev_before, size=4)
    assert [c.pk for c in back.items] == ids[:4]
    assert back.prev_before is None


def test_keyset_pages_newest_first(contacts):
    ids = list(contacts.order_by("-pk").values_list("pk", flat=True))
    first = keyset_page(contacts, size=3, descending=True)
    assert [c.pk for c in first.items] == ids[:3]
    second = keyset_page(contacts, after=first.next_after, size=3, descending=True)
    assert [c.pk for c in second.items] == ids[3:6]
    assert Contact.objects.count() == 10
