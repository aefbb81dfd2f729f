"""The contacts API's request and response bodies (camelCase, as the product docs).

Handlers build responses with the `*_out` functions, so each JSON shape is
written once and the OpenAPI schema documents it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

from accounts.inputs import Text
from contacts.models import Contact, ContactImport, ContactList, OptOut

V1 = "/api/partner-gateway/v1"


class ContactListIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=10_000)


class ContactListOut(Schema):
    id: int
    name: str
    description: str
    totalContacts: int
    validContacts: int
    invalidContacts: int
    duplicateContacts: int
    attributeKeys: list[str]
    createdAt: datetime
    updatedAt: datetime


class ContactListDetailOut(ContactListOut):
    optedOutContacts: int


class ContactListsOut(Schema):
    contactLists: list[ContactListOut]


class ContactIn(Schema):
    phoneNumber: Text = Field(max_length=64)
    firstName: Text = Field("", max_length=100)
    lastName: Text = Field("", max_length=100)
    attributes: dict[
        Annotated[Text, Field(max_length=100)],
        Annotated[Text, Field(max_length=1000)] | int | float | bool,
    ] = Field({}, max_length=200)


class ContactsIn(Schema):
    contacts: list[ContactIn] = Field([], max_length=10_000)
    defaultRegion: Text | None = Field(None, max_length=2)


class ContactOut(Schema):
    id: int
    phoneNumber: str
    rawPhone: str
    valid: bool
    status: str
    reason: str
    country: str
    numberType: str
    firstName: str
    lastName: str
    attributes: dict[str, Any]
    optedOut: bool
    source: str
    createdAt: datetime


class ContactsAddedOut(Schema):
    added: int
    validContacts: int
    invalidContacts: int
    duplicateContacts: int
    contacts: list[ContactOut]


class ContactsPageOut(Schema):
    contacts: list[ContactOut]
    nextCursor: str | None


class ImportAcceptedOut(Schema):
    importId: int
    status: str
    statusUrl: str


class ImportOut(Schema):
    importId: int
    contactListId: int
    fileName: str
    status: str
    error: str | None
    totalRows: int
    processedRows: int
    validRows: int
    invalidRows: int
    duplicateRows: int
    optedOutRows: int
    errorReportUrl: str | None
    createdAt: datetime
    startedAt: datetime | None
    finishedAt: datetime | None


class OptOutIn(Schema):
    phoneNumber: Text = Field(max_length=64)
    defaultRegion: Text | None = Field(None, max_length=2)
    note: Text = Field("", max_length=200)


class OptOutOut(Schema):
    phoneNumber: str
    source: str
    note: str
    createdAt: datetime


class OptOutsOut(Schema):
    optOuts: list[OptOutOut]
    nextCursor: str | None


def list_out(contact_list: ContactList) -> dict[str, Any]:
    return {
        "id": contact_list.pk,
        "name": contact_list.name,
        "description": contact_list.description,
        "totalContacts": contact_list.total_count,
        "validContacts": contact_list.valid_count,
        "invalidContacts": contact_list.invalid_count,
        "duplicateContacts": contact_list.duplicate_count,
        "attributeKeys": contact_list.attribute_keys,
        "createdAt": contact_list.created_at,
        "updatedAt": contact_list.updated_at,
    }


def contact_out(contact: Contact, *, opted_out: bool) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "phoneNumber": contact.phone,
        "rawPhone": contact.raw_phone,
        "valid": contact.status == Contact.Status.VALID,
        "status": contact.status,
        "reason": contact.reason,
        "country": contact.country,
        "numberType": contact.number_type,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "attributes": contact.attributes,
        "optedOut": opted_out,
        "source": contact.source,
        "createdAt": contact.created_at,
    }


def import_out(request: HttpRequest, contact_import: ContactImport) -> dict[str, Any]:
    done = contact_import.status == ContactImport.Status.COMPLETED
    report = f"{V1}/imports/{contact_import.pk}/errors"
    return {
        "importId": contact_import.pk,
        "contactListId": contact_import.contact_list_id,
        "fileName": contact_import.original_name,
        "status": contact_import.status,
        "error": contact_import.error or None,
        "totalRows": contact_import.total_rows,
        "processedRows": contact_import.processed_rows,
        "validRows": contact_import.valid_rows,
        "invalidRows": contact_import.invalid_rows,
        "duplicateRows": contact_import.duplicate_rows,
        "optedOutRows": contact_import.opted_out_rows,
        "errorReportUrl": request.build_absolute_uri(report) if done else None,
        "createdAt": contact_import.created_at,
        "startedAt": contact_import.started_at,
        "finishedAt": contact_import.finished_at,
    }


def optout_out(optout: OptOut) -> dict[str, Any]:
    return {
        "phoneNumber": optout.phone,
        "source": optout.source,
        "note": optout.note,
        "createdAt": optout.created_at,
    }
