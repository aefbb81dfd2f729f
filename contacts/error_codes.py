"""Why a contacts request is refused: one code per rule, whatever the interface."""

from __future__ import annotations

from enum import StrEnum


class ContactErrorCode(StrEnum):
    INVALID_PHONE = "invalid_phone"
    UNKNOWN_REGION = "unknown_region"
    INVALID_ATTRIBUTE = "invalid_attribute"
    TOO_MANY_CONTACTS = "too_many_contacts"
    INVALID_FILE = "invalid_file"
