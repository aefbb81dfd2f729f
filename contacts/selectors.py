"""Account-scoped reads of lists, contacts, imports and opt-outs.

Every fetch by id takes the account and raises NotFound (404) for another
account's object, so views and API handlers cannot forget the tenancy check.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils.translation import gettext as _

from accounts.errors import one_or_not_found
from accounts.models import Account
from contacts.models import (
    BlacklistEntry,
    Contact,
    ContactImport,
    ContactList,
    OptOut,
)
from contacts.paging import KeysetPage, keyset_page
from contacts.phones import PhoneNormalizer


def contact_lists_for_account(*, account: Account) -> QuerySet[ContactList]:
    """The account's lists, newest first."""
    return ContactList.objects.filter(account=account).order_by("-created_at", "-id")


def contact_list_get(*, account: Account, pk: int) -> ContactList:
    """One of the account's lists; NotFound for anyone else's."""
    return one_or_not_found(contact_lists_for_account(account=account), pk=pk)


def contacts_overview(*, account: Account) -> dict[str, int]:
    """How many lists the account has and how many valid numbers they hold."""
    totals = contact_lists_for_account(account=account).aggregate(
        lists=Count("pk"), valid=Sum("valid_count")
    )
    return {"lists": totals["lists"], "valid": totals["valid"] or 0}


def contact_get(*, account: Account, pk: int) -> Contact:
    """A contact in one of the account's lists; NotFound otherwise."""
    contacts = Contact.objects.filter(contact_list__account=account)
    return one_or_not_found(contacts.select_related("contact_list"), pk=pk)


def contact_import_get(*, account: Account, pk: int) -> ContactImport:
    """One of the account's imports, with its list; NotFound otherwise."""
    imports = ContactImport.objects.filter(account=account)
    return one_or_not_found(imports.select_related("contact_list"), pk=pk)


def imports_for_list(*, contact_list: ContactList) -> QuerySet[ContactImport]:
    """The list's imports, newest first."""
    return contact_list.imports.order_by("-created_at", "-id")


def imports_for_account(*, account: Account) -> QuerySet[ContactImport]:
    """The account's imports that were started, newest first (for the activity feed)."""
    return (
        ContactImport.objects.filter(account=account, queued_at__isnull=False)
        .select_related("contact_list")
        .order_by("-created_at", "-id")
    )


def import_activity_text(contact_import: ContactImport) -> str:
    """One line about an import for the dashboard feed."""
    values = {
        "file": contact_import.original_name,
        "list": contact_import.contact_list.name,
        "valid": contact_import.valid_rows,
        "total": contact_import.total_rows,
    }
    if contact_import.status == ContactImport.Status.COMPLETED:
        text = _("Imported %(file)s into “%(list)s”: %(valid)d valid of %(total)d rows")
    elif contact_import.status == ContactImport.Status.FAILED:
        text = _("Import of %(file)s into “%(list)s” failed")
    else:
        text = _("Importing %(file)s into “%(list)s”")
    return text % values


def _suppression_lists(account: Account | int) -> tuple[QuerySet, QuerySet]:
    """Who may not be messaged by `account`: its opt-outs and the system blacklist.

    The one definition of the rule; every reader below derives from it.
    """
    return (
        OptOut.objects.filter(account=account).order_by(),
        BlacklistEntry.objects.order_by(),
    )


def suppressed_phones(*, account: Account | int) -> QuerySet:
    """The numbers `account` may not message, as one `UNION` subquery.

    `phone IN (<this>)` is a semi-join PostgreSQL can drive from the (short)
    suppression lists through `one_keeper_per_number`, so counting the suppressed
    contacts of a million-row list takes milliseconds; two OR'ed `IN`s force a pass
    over every contact (~200 ms).
    """
    opted_out, blacklisted = _suppression_lists(account)
    return opted_out.values("phone").union(blacklisted.values("phone"))


def is_suppressed(*, account: Account | int, phone: str) -> bool:
    """Whether `account` may not message the E.164 `phone` (a single send)."""
    return any(
        rows.filter(phone=phone).exists() for rows in _suppression_lists(account)
    )


def suppressed_q(*, account: Account | int, field: str = "phone") -> Q:
    """Rows whose `field` (an E.164 number) `account` may not message.

    Set-based: `contacts.filter(suppressed_q(account=a))` finds the suppressed
    ones; from a related model use `field="contact__phone"`.
    """
    return Q(**{f"{field}__in": suppressed_phones(account=account)})


def sendable_contacts(
    *, account: Account | int, contact_list: ContactList | int
) -> QuerySet[Contact]:
    """The contacts of the account's list it may message: valid keepers, not suppressed.

    What a quote counts and prices, and what dispatch sends to.
    """
    return Contact.objects.filter(
        contact_list=contact_list,
        contact_list__account=account,
        status=Contact.Status.VALID,
    ).exclude(suppressed_q(account=account))


def with_opted_out(
    contacts: QuerySet[Contact], *, account: Account | int
) -> QuerySet[Contact]:
    """Annotate `is_opted_out` (may not be messaged) on a page of contacts.

    Correlated EXISTS over the same lists as `suppressed_phones`: two index probes
    per row, cheap for a page of 50, where the UNION would read both lists whole.
    """
    opted_out, blacklisted = _suppression_lists(account)
    return contacts.annotate(
        is_opted_out=ExpressionWrapper(
            Q(Exists(opted_out.filter(phone=OuterRef("phone"))))
            | Q(Exists(blacklisted.filter(phone=OuterRef("phone")))),
            output_field=BooleanField(),
        )
    )


def suppressed_count(*, contacts: QuerySet[Contact], account: Account | int) -> int:
    """How many valid contacts of `contacts` campaigns will skip (opt-out or blacklist)."""
    return (
        contacts.filter(status=Contact.Status.VALID)
        .filter(suppressed_q(account=account))
        .count()
    )


def opted_out_count(*, contact_list: ContactList) -> int:
    """Valid contacts of the list that campaigns will skip (opt-out or blacklist)."""
    return suppressed_count(
        contacts=contact_list.contacts.all(), account=contact_list.account_id
    )


def contacts_search(
    contacts: QuerySet[Contact], *, query: str, region: str
) -> QuerySet[Contact]:
    """Contacts matching a number or a name.

    A query that is a valid number finds that number exactly through the index,
    however it was typed; other digits match part of the number or of the raw
    value; anything else matches first or last name.
    """
    query = query.strip()
    if not query:
        return contacts
    result = PhoneNormalizer(region).normalize(query)
    if result.valid:
        return contacts.filter(phone=result.e164)
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits and len(digits) >= len(query.replace(" ", "")) - 1:
        return contacts.filter(Q(phone__contains=digits) | Q(raw_phone__contains=query))
    return contacts.filter(
        Q(first_name__icontains=query) | Q(last_name__icontains=query)
    )


def contacts_page(
    *,
    contact_list: ContactList,
    status: str = "",
    query: str = "",
    region: str = "IT",
    after: int | None = None,
    before: int | None = None,
    last: bool = False,
    size: int = 50,
) -> KeysetPage[Contact]:
    """One keyset page of a list's contacts in file order, each with `is_opted_out`."""
    contacts = contact_list.contacts.all()
    if status in Contact.Status.values:
        contacts = contacts.filter(status=status)
    contacts = contacts_search(contacts, query=query, region=region)
    contacts = with_opted_out(contacts, account=contact_list.account_id)
    return keyset_page(contacts, after=after, before=before, last=last, size=size)


def optouts_for_account(*, account: Account, query: str = "") -> QuerySet[OptOut]:
    """The account's opt-outs, searchable by (part of) the number."""
    optouts = OptOut.objects.filter(account=account)
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits:
        optouts = optouts.filter(phone__contains=digits)
    return optouts
