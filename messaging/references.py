"""Our client references: UUIDs in time order (RFC 9562, version 7).

Every message gets one; the unique index on it is written once per message and
read once per delivery report. A random (version 4) UUID lands on a random page
of that index each time, so at a million messages the index outgrows the cache:
creating a campaign's messages took 2.4 s longer with them (`bench/RESULTS.md`).
Time-ordered ones append at the index's end, and a campaign's reports, which
come back in about the order the messages went, read neighbouring pages. The 74
random bits still make a reference unguessable (callbacks are signed anyway).
"""

from __future__ import annotations

from uuid import UUID

from django.db import connection
from uuid_utils.compat import uuid7

# PostgreSQL 15 has no uuidv7(): a random UUID with its first 48 bits replaced
# by the Unix time in milliseconds and its version nibble set to 7.
_POSTGRESQL = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing"
    " substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint)"
    " from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
)


def reference_new() -> UUID:
    """A new client reference."""
    return uuid7()


def reference_sql() -> str:
    """A SQL expression making a new client reference per row, as each database
    stores a UUIDField (SQLite: 32 hex digits, Django's form; random there)."""
    if connection.vendor == "postgresql":
        return _POSTGRESQL
    return "lower(hex(randomblob(16)))"
