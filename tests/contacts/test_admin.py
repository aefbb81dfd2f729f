"""Staff screens: find a contact by number, keep the blacklist in E.164."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from contacts.models import BlacklistEntry, Contact
from contacts.services import NewContact, contact_list_create, contacts_add


@pytest.fixture
def staff(db) -> Client:
    admin = get_user_model().objects.create_superuser("staff", "s@example.com", "pw")
    client = Client()
    client.force_login(admin)
    return client


def test_contact_search_finds_a_number_typed_any_way(staff, account):
    contact_list = contact_list_create(account=account, name="Clienti")
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("3331234567", "Anna"), NewContact("3201112222", "Bruno")],
        default_region="IT",
    )
    response = staff.get("/admin/contacts/contact/", {"q": "333 123 4567"})
    page = response.content.decode()
    assert "+393331234567" in page
    assert "+393201112222" not in page


def test_deleting_a_contact_in_admin_keeps_the_counts(staff, account):
    contact_list = contact_list_create(account=account, name="Clienti")
    contacts_add(
        contact_list=contact_list,
        rows=[NewContact("3331234567"), NewContact("+39 333 1234567")],
        default_region="IT",
    )
    keeper = contact_list.contacts.get(status="valid")
    staff.post(f"/admin/contacts/contact/{keeper.pk}/delete/", {"post": "yes"})
    contact_list.refresh_from_db()
    assert (contact_list.total_count, contact_list.valid_count) == (1, 1)
    assert Contact.objects.get().status == "valid"


def test_blacklist_entries_are_stored_in_e164(staff):
    response = staff.post(
        "/admin/contacts/blacklistentry/add/",
        {"phone": "0039 333 123 4567", "reason": "Complaint to the regulator"},
    )
    assert response.status_code == 302
    assert BlacklistEntry.objects.get().phone == "+393331234567"
    refused = staff.post("/admin/contacts/blacklistentry/add/", {"phone": "12"})
    assert "Too short for a phone number" in refused.content.decode()
