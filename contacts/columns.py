"""Which column of a contact file holds the phone, the names and the attributes.

Headers are matched in English and Italian after folding case, accents and
punctuation ("N° Cellulare" -> "ncellulare"). When no header names a phone
column, the values decide: a column where most sample rows are valid numbers
is the phone column, and a first row holding such a number is data, not a header
(files exported without headers are common). Every other column becomes an
attribute whose key is a placeholder name (`{{codice_sconto}}`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TypedDict

from django.utils.translation import gettext as _

from contacts.phones import PhoneNormalizer

# Most specific first: a file with both "Cellulare" and "Telefono" is sent to the
# mobile one, since campaigns go to mobiles.
PHONE_ALIASES = (
    "mobile", "mobilephone", "mobilenumber", "cellphone", "cellular", "cell",
    "cellulare", "numerocellulare", "cellularenumero", "telefonocellulare",
    "msisdn", "gsm", "whatsapp", "phonenumber", "phone", "telephone", "tel",
    "telefono", "numeroditelefono", "numerotelefono", "recapitotelefonico",
    "recapito", "number", "numero", "ncellulare", "ntelefono",
)  # fmt: skip
FIRST_NAME_ALIASES = (
    "firstname", "first", "givenname", "forename", "name", "nome", "nomeproprio",
)  # fmt: skip
LAST_NAME_ALIASES = ("lastname", "last", "surname", "familyname", "cognome")

# A column counts as phones when this share of the non-empty sample values are valid.
_PHONE_SHARE = 0.5
_KEY_CHARS = re.compile(r"[^a-z0-9]+")


class MappingDict(TypedDict):
    """How the rows of one file map onto contact fields (stored on the import)."""

    header: bool
    columns: list[str]
    phone: int
    first_name: int | None
    last_name: int | None
    attributes: list[list]  # [[key, column index], ...] in file order


def _fold(text: str) -> str:
    """Lower-case ASCII without accents: "Città" -> "citta"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode().lower()


def header_key(text: str) -> str:
    """The form a header is compared in: folded, letters and digits only."""
    return _KEY_CHARS.sub("", _fold(text))


def attribute_key(text: str, taken: set[str]) -> str:
    """A placeholder-safe key for a header, unique among `taken` (which it updates)."""
    base = _KEY_CHARS.sub("_", _fold(text)).strip("_") or "column"
    if base[0].isdigit():
        base = f"c_{base}"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def _find(
    keys: Sequence[str], aliases: Sequence[str], skip: set[int | None]
) -> int | None:
    for alias in aliases:
        for index, key in enumerate(keys):
            if key == alias and index not in skip:
                return index
    return None


def _phone_column(rows: Sequence[Sequence[str]], width: int, region: str) -> int | None:
    """The column whose values are mostly valid numbers, if there is one."""
    normalize = PhoneNormalizer(region).normalize
    best, best_share = None, 0.0
    for index in range(width):
        values = [row[index] for row in rows if index < len(row) and row[index].strip()]
        if not values:
            continue
        share = sum(normalize(value).valid for value in values) / len(values)
        if share >= _PHONE_SHARE and share > best_share:
            best, best_share = index, share
    return best


def _width(first: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """Columns of the file: the header's, or the usual row's if rows are wider.

    The usual (most frequent) width, not the largest: one row with a stray extra
    cell must not add a column to every row; it is flagged instead.
    """
    widths = [len(row) for row in rows]
    usual = max(set(widths), key=widths.count) if widths else 0
    return max(len(first), usual)


def _has_number(row: Sequence[str], region: str) -> bool:
    normalize = PhoneNormalizer(region).normalize
    return any(normalize(cell).valid for cell in row if cell.strip())


def detect_mapping(
    first: Sequence[str], sample: Sequence[Sequence[str]], *, region: str
) -> MappingDict | None:
    """Guess the mapping from the first row and the rows after it; None: no phones.

    `sample` are the rows after `first` (a few dozen are enough).
    """
    keys = [header_key(cell) for cell in first]
    phone = _find(keys, PHONE_ALIASES, set())
    header = phone is not None or not _has_number(first, region)
    rows = list(sample) if header else [first, *sample]
    width = _width(first, rows)
    if phone is None:
        phone = _phone_column(rows, width, region)
        if phone is None:
            return None
    first_name = last_name = None
    if header:
        first_name = _find(keys, FIRST_NAME_ALIASES, {phone})
        last_name = _find(keys, LAST_NAME_ALIASES, {phone, first_name})
    cells = [
        first[i].strip() if header and i < len(first) else "" for i in range(width)
    ]
    mapped = {phone, first_name, last_name}
    taken: set[str] = set()
    attributes = [
        [attribute_key(cells[index] or f"column_{index + 1}", taken), index]
        for index in range(width)
        if index not in mapped
    ]
    return {
        "header": header,
        "columns": cells,
        "phone": phone,
        "first_name": first_name,
        "last_name": last_name,
        "attributes": attributes,
    }


def column_names(mapping: MappingDict) -> list[str]:
    """Display names of the file's columns: the header cell, else "Column N"."""
    return [
        cell or _("Column %(n)d") % {"n": index + 1}
        for index, cell in enumerate(mapping["columns"])
    ]
