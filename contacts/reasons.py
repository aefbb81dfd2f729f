"""Why a contact row is not a valid keeper, as codes (stored, API) and labels (UI).

The codes of `contacts.phones` are the phone-number verdicts; the import adds
`extra_columns` (a row longer than its header, so its cells cannot be trusted)
and every duplicate carries `duplicate`. Labels are translated here rather than
in `phones.REASON_LABELS`, which stays a plain English table for the API docs.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DUPLICATE = "duplicate"
EXTRA_COLUMNS = "extra_columns"

REASONS: dict[str, Promise] = {
    "empty": _("No phone number given"),
    "not_a_number": _("Does not look like a phone number"),
    "invalid_country_code": _("Unknown or missing country code"),
    "too_short": _("Too short for a phone number"),
    "too_long": _("Too long for a phone number"),
    "invalid_number": _("Not a valid number for its country"),
    EXTRA_COLUMNS: _("More cells than the header has columns"),
    DUPLICATE: _("Duplicate of an earlier row"),
}


def reason_label(code: str) -> str:
    """The reader's sentence for a reason code ("" for a valid contact)."""
    if not code:
        return ""
    return str(REASONS.get(code, code))
