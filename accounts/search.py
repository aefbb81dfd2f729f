"""Search that ignores accents: "Niccolo" finds "Niccolò", "citta" finds "Città".

On PostgreSQL, `unaccent()` from the extension of that name (installed by the
accounts migration `0002`); on SQLite (the quick start), a function of the same
name registered on each new connection, which drops combining marks after NFKD
decomposition. Both sides of the comparison go through it, so the term may be
typed with or without accents.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import CharField, F, Func, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Contains


class Unaccent(Func):
    function = "UNACCENT"
    output_field = CharField()


def strip_accents(text: str | None) -> str | None:
    """`text` without combining marks ("Niccolò" -> "Niccolo"); None stays None."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def accent_insensitive(fields: tuple[str, ...], term: str) -> Q:
    """Rows where any of `fields` contains `term`, ignoring case and accents."""
    needle = Lower(Unaccent(Value(term)))
    condition = Q()
    for field in fields:
        condition |= Q(Contains(Lower(Unaccent(F(field))), needle))
    return condition


def register_sqlite_unaccent(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give SQLite connections the `unaccent` PostgreSQL's extension provides."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "unaccent", 1, strip_accents, deterministic=True
        )


connection_created.connect(register_sqlite_unaccent, dispatch_uid="sqlite_unaccent")
