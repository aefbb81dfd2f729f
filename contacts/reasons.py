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


# The same verdicts as the second half of a sentence about one number.
CLAUSES: dict[str, Promise] = {
    "empty": _("no number was given"),
    "not_a_number": _("it does not look like a phone number"),
    "invalid_country_code": _("its country code is unknown or missing"),
    "too_short": _("it is too short for a phone number"),
    "too_long": _("it is too long for a phone number"),
    "invalid_number": _("it is not a valid number for its country"),
}


def invalid_number_message(raw: str, code: str) -> str:
    """One sentence for a refused number: "ciao is not a valid number: it does not
    look like a phone number." (opt-outs, test sends)."""
    shown = raw.strip() or "“”"
    clause = CLAUSES.get(code)
    if clause is None:
        return _("%(phone)s is not a valid number.") % {"phone": shown}
    return _("%(phone)s is not a valid number: %(reason)s.") % {
        "phone": shown,
        "reason": clause,
    }
