"""SQLite imports: a private staging table, then one statement that merges it.

SQLite (the quick start) has a single writer, so the import cannot hold a
transaction open while it reads the file: the page's progress updates would wait
behind it. Rows go to a TEMP table with executemany outside any transaction,
then a single `INSERT ... SELECT` adds them to the list inside the caller's
transaction, turning a would-be keeper into a duplicate when the list already
keeps its number (an anti-join on `one_keeper_per_number`, skipped for a list
with no keepers). Repeats within the file were already marked in Python.

A TEMP table lives in the worker's own database session, so nobody else sees it.
PostgreSQL imports COPY straight into the list instead (`contacts.copying`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType

from django.db import connection

from contacts.models import Contact, ContactSource
from contacts.reasons import DUPLICATE
from contacts.rows import ROW_COLUMNS

# Fixed columns, in the order the importer builds its row tuples. `status` is the
# file's verdict (valid, invalid, or duplicate of an earlier row of the file).
STAGE_COLUMNS = ROW_COLUMNS
# SQLite's json_object() takes at most 127 arguments: attributes are built in
# chunks of 40 pairs and merged.
_PAIRS = 40

MERGE_SQL = """
INSERT INTO {contacts} (
    contact_list_id, contact_import_id, source, created_at, row_number, raw_phone,
    phone, status, reason, country, number_type, first_name, last_name, attributes
)
SELECT
    %s, %s, %s, %s, s.row_number, s.raw_phone, s.phone,
    {status}, {reason}, s.country, s.number_type, s.first_name, s.last_name,
    {attributes}
FROM {stage} s {join}
ORDER BY s.row_number
"""
# Only for a list that already keeps numbers: they win over the file's rows.
KEEPER_JOIN = """
LEFT JOIN {contacts} k
    ON k.contact_list_id = %s AND k.status = 'valid' AND k.phone = s.phone
"""
KEPT_ELSEWHERE = "(s.status = 'valid' AND k.id IS NOT NULL)"


class Stage:
    """TEMP table `contact_stage_<import id>` with one text column per attribute."""

    def __init__(self, *, import_id: int, attributes: int) -> None:
        self.table = f"contact_stage_{int(import_id)}"
        self.columns = (*STAGE_COLUMNS, *(f"a{i}" for i in range(attributes)))

    def __enter__(self) -> Stage:
        columns = ", ".join(
            f"{name} {'integer' if name == 'row_number' else 'text'}"
            for name in self.columns
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            cursor.execute(f"CREATE TEMP TABLE {self.table} ({columns})")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")

    def write(self, rows: Sequence[tuple]) -> None:
        """Append rows (tuples in `self.columns` order)."""
        marks = ", ".join(["%s"] * len(self.columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {self.table} VALUES ({marks})", rows)

    def merge(
        self,
        *,
        contact_list_id: int,
        import_id: int,
        keys: Sequence[str],
        now: datetime,
        list_has_keepers: bool,
    ) -> None:
        """Insert the staged rows into the list; run inside the caller's transaction."""
        attributes, attribute_params = self._attributes_sql(keys)
        status, reason, join = "s.status", "s.reason", ""
        if list_has_keepers:
            status = f"CASE WHEN {KEPT_ELSEWHERE} THEN 'duplicate' ELSE s.status END"
            reason = f"CASE WHEN {KEPT_ELSEWHERE} THEN %s ELSE s.reason END"
            join = KEEPER_JOIN.format(contacts=Contact._meta.db_table)
        sql = MERGE_SQL.format(
            contacts=Contact._meta.db_table,
            stage=self.table,
            status=status,
            reason=reason,
            attributes=attributes,
            join=join,
        )
        params = [
            contact_list_id,
            import_id,
            ContactSource.IMPORT.value,
            connection.ops.adapt_datetimefield_value(now),
            *([DUPLICATE] if list_has_keepers else []),
            *attribute_params,
            *([contact_list_id] if list_has_keepers else []),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def _attributes_sql(self, keys: Sequence[str]) -> tuple[str, list[str]]:
        """SQL building the attributes JSON from the a<i> columns, and its params."""
        if not keys:
            return "'{}'", []
        sql, params = "", []
        for start in range(0, len(keys), _PAIRS):
            chunk = range(start, min(start + _PAIRS, len(keys)))
            part = ", ".join(f"CAST(%s AS text), s.a{i}" for i in chunk)
            sql = (
                f"json_patch({sql}, json_object({part}))"
                if sql
                else f"json_object({part})"
            )
            params += [keys[i] for i in chunk]
        return sql, params
