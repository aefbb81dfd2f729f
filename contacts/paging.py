"""Keyset pagination by primary key: the same cost on page 1 and page 20,000.

OFFSET makes the database walk every skipped row, so the last page of a million
contacts takes seconds; `WHERE id > last_seen ORDER BY id LIMIT n` on an index
that starts with the filter columns (`contact_list_keyset`, `contact_list_rejects`)
takes the same few milliseconds anywhere. The price: pages are reached by
following links (first, previous, next, last), not by number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

T = TypeVar("T", bound=Model)


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page; a cursor is None when there is nothing in that direction."""

    items: list[T]
    next_after: int | None
    prev_before: int | None


def keyset_page(
    queryset: QuerySet[T],
    *,
    after: int | None = None,
    before: int | None = None,
    last: bool = False,
    size: int = 50,
    descending: bool = False,
) -> KeysetPage[T]:
    """The page after id `after`, before id `before`, the last page, or the first.

    Pages follow the id order (newest first with `descending`). One query per page:
    it fetches one row more than `size` to know whether another page follows.
    """
    forward, backward = ("lt", "gt") if descending else ("gt", "lt")
    ascending_order, reverse_order = ("-pk", "pk") if descending else ("pk", "-pk")
    if before is not None or last:
        rows = queryset
        if before is not None:
            rows = rows.filter(**{f"pk__{backward}": before})
        items = list(rows.order_by(reverse_order)[: size + 1])
        has_prev = len(items) > size
        items = items[:size][::-1]
        has_next = before is not None
    else:
        rows = queryset
        if after is not None:
            rows = rows.filter(**{f"pk__{forward}": after})
        items = list(rows.order_by(ascending_order)[: size + 1])
        has_next = len(items) > size
        items = items[:size]
        has_prev = after is not None
    return KeysetPage(
        items=items,
        next_after=items[-1].pk if items and has_next else None,
        prev_before=items[0].pk if items and has_prev else None,
    )
