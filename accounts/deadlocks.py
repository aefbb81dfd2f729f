"""Running a transaction again when PostgreSQL picked it as a deadlock's victim."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE
T = TypeVar("T")


def deadlock_retried(run: Callable[[], T], *, attempts: int = 3) -> T:
    """`run()` (one whole transaction), again if it was aborted by a deadlock.

    Two transactions that lock the same rows in opposite orders are settled by
    PostgreSQL aborting one; the other goes on, and the aborted one, run again,
    finds the rows free. Where one order cannot serve every path (freezing a
    campaign's recipients locks the campaign, then the account, when the list
    grew; canceling locks the account, then the campaign), the user's action is
    the one retried rather than answered with an error. Inside an outer
    transaction the abort has doomed the caller too, so it is raised at once.
    """
    for _attempt in range(attempts - 1):
        try:
            return run()
        except OperationalError as exc:
            deadlock = getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED
            if not deadlock or connection.in_atomic_block:
                raise
    return run()
