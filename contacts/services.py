"""Writes on lists and contacts (file imports live in `contacts.importing`).

Every write that decides whether a number is new takes the list's row lock
first, as the import merge does, so two writers never both keep the same number;
the partial unique index `one_keeper_per_number` is the backstop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import DomainError, NotFound
from accounts.models import Account
from contacts.error_codes import ContactErrorCode
from contacts.models import Contact, ContactImport, ContactList, ContactSource
from contacts.phones import PhoneNormalizer
from contacts.reasons import DUPLICATE

MAX_CONTACTS_PER_REQUEST = 1000
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_COUNT_FIELD = {
    Contact.Status.VALID: "valid_count",
    Contact.Status.INVALID: "invalid_count",
    Contact.Status.DUPLICATE: "duplicate_count",
}


@dataclass(frozen=True)
class NewContact:
    """One contact to add, as given."""

    phone: str
    first_name: str = ""
    last_name: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def contact_list_create(
    *, account: Account, name: str, description: str = ""
) -> ContactList:
    """Create an empty list."""
    return ContactList.objects.create(
        account=account, name=name.strip(), description=description.strip()
    )


def contact_list_delete(*, contact_list: ContactList) -> None:
    """Delete a list, its contacts, its imports and their stored files.

    Contacts go first in one set-based DELETE: deleting the imports first would
    make Django null each contact's import before deleting it, a million UPDATEs.
    """
    files = [name for name in contact_list.imports.values_list("file", flat=True)]
    with transaction.atomic():
        Contact.objects.filter(contact_list=contact_list).delete()
        contact_list.delete()
    storage = ContactImport.file.field.storage

    def remove_files() -> None:
        for name in filter(None, files):
            storage.delete(name)

    transaction.on_commit(remove_files)


def contact_delete(*, contact: Contact) -> None:
    """Delete one contact; if it was a number's keeper, the next duplicate takes over.

    Without the promotion, deleting the first of two copies would drop the number
    from every campaign although it is still in the list.
    """
    with transaction.atomic():
        contact_list = ContactList.objects.select_for_update().get(
            pk=contact.contact_list_id
        )
        deleted, _by_model = Contact.objects.filter(
            pk=contact.pk, status=contact.status
        ).delete()
        if not deleted:
            raise NotFound()
        changes = {
            "total_count": F("total_count") - 1,
            _COUNT_FIELD[contact.status]: F(_COUNT_FIELD[contact.status]) - 1,
        }
        if contact.status == Contact.Status.VALID:
            successor = (
                contact_list.contacts.filter(
                    phone=contact.phone, status=Contact.Status.DUPLICATE
                )
                .order_by("pk")
                .first()
            )
            if successor is not None:
                Contact.objects.filter(pk=successor.pk).update(
                    status=Contact.Status.VALID, reason=""
                )
                changes["valid_count"] = F("valid_count")
                changes["duplicate_count"] = F("duplicate_count") - 1
        ContactList.objects.filter(pk=contact_list.pk).update(
            **changes, updated_at=timezone.now()
        )


def _check_attributes(rows: Sequence[NewContact]) -> None:
    for index, row in enumerate(rows):
        for key in row.attributes:
            if not _ATTRIBUTE_KEY.fullmatch(key):
                raise DomainError(
                    {
                        f"contacts[{index}].attributes": _(
                            "Attribute names use letters, digits and _ "
                            "(up to 64), so they work as {{placeholders}}: "
                            "%(key)s"
                        )
                        % {"key": key}
                    },
                    code=ContactErrorCode.INVALID_ATTRIBUTE,
                )


def contacts_add(
    *,
    contact_list: ContactList,
    rows: Sequence[NewContact],
    default_region: str,
    source: str = ContactSource.API,
) -> list[Contact]:
    """Add rows to a list, kept in order, each valid, invalid or a duplicate.

    The result holds one saved Contact per row, in the same order.
    """
    if len(rows) > MAX_CONTACTS_PER_REQUEST:
        raise DomainError(
            {
                "contacts": _(
                    "At most %(max)d contacts per request; upload a file for more."
                )
                % {"max": MAX_CONTACTS_PER_REQUEST}
            },
            code=ContactErrorCode.TOO_MANY_CONTACTS,
        )
    _check_attributes(rows)
    normalize = PhoneNormalizer(default_region).normalize
    results = [normalize(row.phone) for row in rows]
    with transaction.atomic():
        locked = ContactList.objects.select_for_update().get(pk=contact_list.pk)
        kept = set(
            locked.contacts.filter(
                status=Contact.Status.VALID,
                phone__in={result.e164 for result in results if result.valid},
            ).values_list("phone", flat=True)
        )
        contacts = []
        for row, result in zip(rows, results, strict=True):
            if not result.valid:
                status, reason = Contact.Status.INVALID, result.reason
            elif result.e164 in kept:
                status, reason = Contact.Status.DUPLICATE, DUPLICATE
            else:
                status, reason = Contact.Status.VALID, ""
                kept.add(result.e164)
            contacts.append(
                Contact(
                    contact_list=locked,
                    raw_phone=row.phone[:64],
                    phone=result.e164,
                    status=status,
                    reason=reason,
                    country=result.region,
                    number_type=result.number_type,
                    first_name=row.first_name.strip()[:100],
                    last_name=row.last_name.strip()[:100],
                    attributes={k: str(v) for k, v in row.attributes.items()},
                    source=source,
                )
            )
        Contact.objects.bulk_create(contacts)
        keys = list(locked.attribute_keys)
        for row in rows:
            keys += [key for key in row.attributes if key not in keys]
        ContactList.objects.filter(pk=locked.pk).update(
            total_count=F("total_count") + len(contacts),
            valid_count=F("valid_count") + _count(contacts, Contact.Status.VALID),
            invalid_count=F("invalid_count") + _count(contacts, Contact.Status.INVALID),
            duplicate_count=F("duplicate_count")
            + _count(contacts, Contact.Status.DUPLICATE),
            attribute_keys=keys,
            updated_at=timezone.now(),
        )
    return contacts


def _count(contacts: Sequence[Contact], status: str) -> int:
    return sum(1 for contact in contacts if contact.status == status)


ABANDONED_AFTER = timedelta(days=1)


def abandoned_lists_drop(*, now: datetime | None = None) -> int:
    """Delete lists an upload made and nobody finished; return how many.

    The upload page creates the list with the file, before the column step; a
    file left there kept an empty list that then showed up everywhere (the
    composer previewed with it). Dropped, a day later: lists with no contacts,
    whose every import was left pending or failed, untouched since, that no
    campaign names. A list made empty on purpose (the API's create, with no
    import) is kept. Imports and their stored files go with their list.
    """
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    finished = ContactImport.objects.filter(
        contact_list=OuterRef("pk"),
        status__in=[ContactImport.Status.RUNNING, ContactImport.Status.COMPLETED],
    )
    abandoned = ContactList.objects.filter(
        total_count=0,
        updated_at__lt=cutoff,
        campaigns__isnull=True,
    ).filter(
        Exists(ContactImport.objects.filter(contact_list=OuterRef("pk"))),
        ~Exists(finished),
        ~Exists(Contact.objects.filter(contact_list=OuterRef("pk"))),
    )
    dropped = 0
    # A few per tick at most, each without contacts: cheap, and their files go too.
    for contact_list in abandoned.order_by("pk")[:500]:
        contact_list_delete(contact_list=contact_list)
        dropped += 1
    return dropped
