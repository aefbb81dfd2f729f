"""The API edge's half of domain errors: field names as the client spelled them.

Services name fields as the domain does (`contact_list`, `scheduled_at`); the two
product documents name some of them differently (`contactListId` in UC-006,
`contactList` in the guide). A refusal must name the field the way the request
did, so each API module declares its names and wraps its service calls here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from accounts.errors import DomainError


def camel(name: str) -> str:
    """`goal_contact_count` -> `goalContactCount`."""
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def api_name(
    field: str, *, sent: Iterable[str], names: Mapping[str, tuple[str, ...]]
) -> str:
    """The API's name for a domain field: the spelling the client sent, else the first."""
    candidates = names.get(field) or (camel(field),)
    sent = set(sent)
    return next((name for name in candidates if name in sent), candidates[0])


@contextmanager
def errors_named_as_sent(
    sent: Iterable[str], names: Mapping[str, tuple[str, ...]] | None = None
) -> Iterator[None]:
    """Rename a refusal's domain field names to the API's, as the request spelled them."""
    try:
        yield
    except DomainError as exc:
        sent = set(sent)
        exc.data = {
            api_name(field, sent=sent, names=names or {}): message
            for field, message in exc.data.items()
        }
        raise
