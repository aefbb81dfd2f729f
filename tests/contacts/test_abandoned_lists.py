"""An upload left at the column step leaves no empty list behind (issue 11, item 12)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.services import campaign_create
from contacts.importing import contact_import_create
from contacts.models import ContactImport, ContactList
from contacts.services import abandoned_lists_drop, contact_list_create

CSV = b"phone;name\n3331234567;Mario\n"


def _abandoned(account, name: str = "Left") -> ContactList:
    contact_list = contact_list_create(account=account, name=name)
    contact_import_create(
        account=account,
        contact_list=contact_list,
        upload=SimpleUploadedFile("left.csv", CSV, content_type="text/csv"),
        default_region="IT",
        start=False,
    )
    return contact_list


def test_an_abandoned_upload_list_is_dropped_after_a_day(account):
    left = _abandoned(account)
    made_by_api = contact_list_create(account=account, name="Filled later")
    assert abandoned_lists_drop() == 0  # not a day old yet
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert abandoned_lists_drop(now=later) == 1
    assert not ContactList.objects.filter(pk=left.pk).exists()
    assert not ContactImport.objects.filter(contact_list=left.pk).exists()
    assert ContactList.objects.filter(pk=made_by_api.pk).exists()


def test_a_list_a_campaign_names_is_kept(account):
    left = _abandoned(account)
    campaign_create(account=account, name="C", channel="SMS", contact_list=left)
    later = timezone.now() + timedelta(days=2)
    assert abandoned_lists_drop(now=later) == 0


def test_the_composer_never_previews_from_an_empty_list(client_logged, account):
    full = contact_list_create(account=account, name="Clienti")
    ContactList.objects.filter(pk=full.pk).update(total_count=1)
    _abandoned(account, name="Vuota")  # newer, but empty
    campaign = campaign_create(account=account, name="C", channel="SMS")
    page = client_logged.get(f"/campaigns/{campaign.pk}/message/")
    assert page.context["preview_list"].pk == full.pk
