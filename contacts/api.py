"""Contact lists, contacts, imports and opt-outs over the JSON API.

Handlers fetch through account-scoped selectors first (another account's id is a
404 before anything else is looked at), then call a service. Bodies are optional
in the schemas where the handler checks them itself, for that reason.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query
from ninja.files import UploadedFile
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_errors import errors_named_as_sent
from accounts.api_routing import DualRouter
from accounts.digits import as_id
from accounts.errors import DomainError
from contacts.exporting import XLSX_TYPE, Format, error_report_response
from contacts.importing import contact_import_create
from contacts.models import Contact, OptOut
from contacts.optouts import optout_add, optout_remove
from contacts.paging import keyset_page
from contacts.regions import region_clean
from contacts.schemas import (
    V1,
    ContactListDetailOut,
    ContactListIn,
    ContactListOut,
    ContactListsOut,
    ContactsAddedOut,
    ContactsIn,
    ContactsPageOut,
    ImportAcceptedOut,
    ImportOut,
    OptOutIn,
    OptOutOut,
    OptOutsOut,
    contact_out,
    import_out,
    list_out,
    optout_out,
)
from contacts.selectors import (
    contact_import_get,
    contact_list_get,
    contact_lists_for_account,
    opted_out_count,
    optouts_for_account,
    with_opted_out,
)
from contacts.services import (
    NewContact,
    contact_list_create,
    contact_list_delete,
    contacts_add,
)

# Domain fields the API spells otherwise.
API_NAMES = {"phone": ("phoneNumber",)}
router = DualRouter(tags=["Contacts"])
optout_router = DualRouter(tags=["Opt-outs"])


def _cursor(value: str | None) -> int | None:
    if not value:
        return None
    if (cursor := as_id(value)) is None:
        raise DomainError({"cursor": _("Invalid cursor")})
    return cursor


@router.post("/contact-lists", response={201: ContactListOut, 400: Fail, 401: Fail})
def contact_list_create_api(request: HttpRequest, payload: ContactListIn):
    """Create an empty contact list; its `id` is the `contactListId` of campaigns."""
    contact_list = contact_list_create(
        account=request.account, name=payload.name, description=payload.description
    )
    return Status(201, list_out(contact_list))


@router.get("/contact-lists", response={200: ContactListsOut, 401: Fail})
def contact_lists_api(request: HttpRequest):
    """The account's contact lists with their counts, newest first."""
    lists = contact_lists_for_account(account=request.account)
    return {"contactLists": [list_out(contact_list) for contact_list in lists]}


@router.get(
    "/contact-lists/{list_id}",
    response={200: ContactListDetailOut, 401: Fail, 404: Fail},
)
def contact_list_api(request: HttpRequest, list_id: int):
    """One list, with how many of its valid numbers are opted out or blacklisted."""
    contact_list = contact_list_get(account=request.account, pk=list_id)
    return {
        **list_out(contact_list),
        "optedOutContacts": opted_out_count(contact_list=contact_list),
    }


@router.delete("/contact-lists/{list_id}", response={204: None, 401: Fail, 404: Fail})
def contact_list_delete_api(request: HttpRequest, list_id: int):
    """Delete a list with its contacts and imports."""
    contact_list = contact_list_get(account=request.account, pk=list_id)
    contact_list_delete(contact_list=contact_list)
    return Status(204, None)


@router.post(
    "/contact-lists/{list_id}/contacts",
    response={201: ContactsAddedOut, 400: Fail, 401: Fail, 404: Fail},
)
def contacts_add_api(request: HttpRequest, list_id: int, payload: ContactsIn):
    """Add up to 1,000 contacts; each row says whether it is valid, and why not."""
    contact_list = contact_list_get(account=request.account, pk=list_id)
    if not payload.contacts:
        raise DomainError({"contacts": _("Give at least one contact")})
    region = region_clean(payload.defaultRegion, default=request.account.default_region)
    rows = [
        NewContact(row.phoneNumber, row.firstName, row.lastName, row.attributes)
        for row in payload.contacts
    ]
    added = contacts_add(contact_list=contact_list, rows=rows, default_region=region)
    flags = dict(
        with_opted_out(
            Contact.objects.filter(pk__in=[c.pk for c in added]),
            account=request.account,
        ).values_list("pk", "is_opted_out")
    )
    statuses = [contact.status for contact in added]
    return Status(
        201,
        {
            "added": len(added),
            "validContacts": statuses.count(Contact.Status.VALID),
            "invalidContacts": statuses.count(Contact.Status.INVALID),
            "duplicateContacts": statuses.count(Contact.Status.DUPLICATE),
            "contacts": [contact_out(c, opted_out=flags[c.pk]) for c in added],
        },
    )


@router.get(
    "/contact-lists/{list_id}/contacts",
    response={200: ContactsPageOut, 400: Fail, 401: Fail, 404: Fail},
)
def contacts_api(
    request: HttpRequest,
    list_id: int,
    status: str = "",
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
):
    """A page of the list's contacts in file order; pass `nextCursor` for the next."""
    contact_list = contact_list_get(account=request.account, pk=list_id)
    contacts = contact_list.contacts.all()
    if status:
        if status not in Contact.Status.values:
            raise DomainError({"status": _("Use valid, invalid or duplicate")})
        contacts = contacts.filter(status=status)
    page = keyset_page(
        with_opted_out(contacts, account=request.account),
        after=_cursor(cursor),
        size=limit,
    )
    return {
        "contacts": [contact_out(c, opted_out=c.is_opted_out) for c in page.items],
        "nextCursor": str(page.next_after) if page.next_after else None,
    }


@router.post(
    "/contact-lists/{list_id}/import",
    response={202: ImportAcceptedOut, 400: Fail, 401: Fail, 404: Fail},
)
def contacts_import_api(
    request: HttpRequest,
    list_id: int,
    file: File[UploadedFile] = None,
    defaultRegion: Form[str] = "",
):
    """Upload a CSV or XLSX file (multipart field `file`); poll the returned import."""
    contact_list = contact_list_get(account=request.account, pk=list_id)
    if file is None:
        raise DomainError(
            {"file": _("Attach the CSV or XLSX file as the field `file`")}
        )
    region = region_clean(defaultRegion, default=request.account.default_region)
    contact_import = contact_import_create(
        account=request.account,
        contact_list=contact_list,
        upload=file,
        default_region=region,
        start=True,
    )
    return Status(
        202,
        {
            "importId": contact_import.pk,
            "status": contact_import.status,
            "statusUrl": request.build_absolute_uri(
                f"{V1}/imports/{contact_import.pk}"
            ),
        },
    )


@router.get("/imports/{import_id}", response={200: ImportOut, 401: Fail, 404: Fail})
def import_api(request: HttpRequest, import_id: int):
    """An import's progress and, once COMPLETED, its summary."""
    contact_import = contact_import_get(account=request.account, pk=import_id)
    return import_out(request, contact_import)


@router.get(
    "/imports/{import_id}/errors",
    response={200: None, 401: Fail, 404: Fail},
    # An int key, like the response= ones, so it replaces their 200 and does not
    # add a second "200" to the JSON.
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV (or XLSX with ?format=xlsx): row, value, "
                "reason, opted out, first name, last name",
                "content": {"text/csv": {}, XLSX_TYPE: {}},
            }
        }
    },
)
def import_errors_api(
    request: HttpRequest, import_id: int, format: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """The import's rejected rows as CSV or XLSX (row, value as given, reason)."""
    contact_import = contact_import_get(account=request.account, pk=import_id)
    return error_report_response(contact_import, fmt=format)


@optout_router.post(
    "/opt-outs", response={200: OptOutOut, 201: OptOutOut, 400: Fail, 401: Fail}
)
def optout_add_api(request: HttpRequest, payload: OptOutIn):
    """Opt a number out of every campaign of the account (201 new, 200 already)."""
    region = region_clean(payload.defaultRegion, default=request.account.default_region)
    with errors_named_as_sent({"phoneNumber"}, API_NAMES):
        optout, created = optout_add(
            account=request.account,
            phone=payload.phoneNumber,
            region=region,
            source=OptOut.Source.API,
            note=payload.note,
        )
    return Status(201 if created else 200, optout_out(optout))


@optout_router.get("/opt-outs", response={200: OptOutsOut, 400: Fail, 401: Fail})
def optouts_api(
    request: HttpRequest,
    search: str = "",
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
):
    """The account's opt-outs, newest first; `search` matches part of the number."""
    page = keyset_page(
        optouts_for_account(account=request.account, query=search),
        after=_cursor(cursor),
        size=limit,
        descending=True,
    )
    return {
        "optOuts": [optout_out(optout) for optout in page.items],
        "nextCursor": str(page.next_after) if page.next_after else None,
    }


@optout_router.delete(
    "/opt-outs", response={204: None, 400: Fail, 401: Fail, 404: Fail}
)
def optout_remove_api(
    request: HttpRequest, phoneNumber: str, defaultRegion: str = ""
) -> Status:
    """Let a number receive campaigns again (`?phoneNumber=%2B393331234567`)."""
    region = region_clean(defaultRegion, default=request.account.default_region)
    with errors_named_as_sent({"phoneNumber"}, API_NAMES):
        optout_remove(account=request.account, phone=phoneNumber, region=region)
    return Status(204, None)
