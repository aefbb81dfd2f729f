"""The account's opt-out list: add, remove, and import a file of numbers.

Numbers are stored in E.164 so that one opt-out matches however the number was
typed in any list. Campaigns exclude them (and the staff blacklist) set-based via
`contacts.selectors.suppressed_q`. Opt-out files are short (people who replied
STOP), so they are imported in the request, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import DomainError, NotFound
from accounts.models import Account
from contacts.columns import detect_mapping
from contacts.error_codes import ContactErrorCode
from contacts.files import FileRejected, inspect_file, is_blank, read_records
from contacts.models import OptOut, OptOutSource
from contacts.phones import PhoneNormalizer
from contacts.reasons import reason_label

_BATCH = 5000


@dataclass(frozen=True)
class OptOutImportResult:
    added: int
    already: int
    invalid: int


def optout_add(
    *,
    account: Account,
    phone: str,
    region: str,
    source: str = OptOutSource.MANUAL,
    note: str = "",
    created_by: AbstractBaseUser | None = None,
) -> tuple[OptOut, bool]:
    """Opt a number out of the account's campaigns; (opt-out, whether it is new)."""
    result = PhoneNormalizer(region).normalize(phone)
    if not result.valid:
        raise DomainError(
            {
                "phone": _("%(phone)s is not a valid number: %(reason)s")
                % {
                    "phone": phone.strip() or "“”",
                    "reason": reason_label(result.reason),
                }
            },
            code=ContactErrorCode.INVALID_PHONE,
        )
    return OptOut.objects.get_or_create(
        account=account,
        phone=result.e164,
        defaults={"source": source, "note": note[:200], "created_by": created_by},
    )


def optout_remove(
    *, account: Account, pk: int | None = None, phone: str = "", region: str = "IT"
) -> str:
    """Remove an opt-out by id or by number; return its number. NotFound if absent."""
    optouts = OptOut.objects.filter(account=account)
    if pk is not None:
        optouts = optouts.filter(pk=pk)
    else:
        optouts = optouts.filter(phone=PhoneNormalizer(region).normalize(phone).e164)
    optout = optouts.first()
    if optout is None:
        raise NotFound("phone" if pk is None else "id")
    optout.delete()
    return optout.phone


def optouts_import(
    *,
    account: Account,
    upload: File,
    region: str,
    created_by: AbstractBaseUser | None = None,
) -> OptOutImportResult:
    """Opt out every valid number of a CSV/XLSX file; all of them or none."""
    info = inspect_file(upload, max_bytes=settings.CONTACT_UPLOAD_MAX_BYTES)
    mapping = detect_mapping(info.first, info.sample, region=region)
    if mapping is None:
        raise FileRejected(_("No column holds phone numbers."))
    column = mapping["phone"]
    normalize = PhoneNormalizer(region).normalize
    records = (r for r in read_records(upload, info) if not is_blank(r))
    if mapping["header"]:
        next(records)
    limit = settings.CONTACT_UPLOAD_MAX_ROWS
    added = already = invalid = seen = 0
    with transaction.atomic():
        while batch := list(islice(records, _BATCH)):
            seen += len(batch)
            if seen > limit:
                raise FileRejected(
                    _("The file has more than %(limit)s rows.") % {"limit": limit}
                )
            phones = set()
            for record in batch:
                result = normalize(record[column] if column < len(record) else "")
                if result.valid:
                    phones.add(result.e164)
                else:
                    invalid += 1
            existing = set(
                OptOut.objects.filter(account=account, phone__in=phones).values_list(
                    "phone", flat=True
                )
            )
            OptOut.objects.bulk_create(
                [
                    OptOut(
                        account=account,
                        phone=phone,
                        source=OptOutSource.IMPORT,
                        created_by=created_by,
                    )
                    for phone in sorted(phones - existing)
                ],
                ignore_conflicts=True,
            )
            added += len(phones - existing)
            already += len(existing)
    return OptOutImportResult(added=added, already=already, invalid=invalid)


def optouts_reply_apply(
    *, account_id: int, stop: set[str], start: set[str], note: str = ""
) -> tuple[int, int]:
    """Apply reply keywords: opt `stop` out (source "reply"), let `start` back in.

    Numbers are E.164 already (the route parsed them). START only lifts an
    opt-out a reply made: one added by hand, by import or over the API stays.
    Returns (added, removed).
    """
    with transaction.atomic():
        existing = set(
            OptOut.objects.filter(account_id=account_id, phone__in=stop).values_list(
                "phone", flat=True
            )
        )
        OptOut.objects.bulk_create(
            [
                OptOut(
                    account_id=account_id,
                    phone=phone,
                    source=OptOutSource.REPLY,
                    note=note[:200],
                )
                for phone in sorted(stop - existing)
            ],
            ignore_conflicts=True,
        )
        removed, _by_model = OptOut.objects.filter(
            account_id=account_id, phone__in=start, source=OptOutSource.REPLY
        ).delete()
    return len(stop - existing), removed
