"""Errors of the contacts app whose message is for the user."""

from __future__ import annotations

from accounts.errors import DomainError


class FileRejected(DomainError):
    """The file cannot be imported; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": message})
