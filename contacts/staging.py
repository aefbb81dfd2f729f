"""A private staging table per import, and the one statement that merges it.

Rows are parsed and normalised in Python, which also marks repeats within the
file (a set of the numbers seen so far: much cheaper than sorting a million rows
in SQL). They go to a TEMP table (COPY on PostgreSQL, executemany on SQLite);
then a single `INSERT ... SELECT` adds them to the list, turning a would-be
keeper into a duplicate when the list already keeps its number (an anti-join on
`one_keeper_per_number`, skipped for a list with no keepers). Nothing touches the
list until that statement runs, inside the caller's transaction.

A TEMP table lives in the worker's own database session, so staging needs no
transaction and cannot be seen by (or block) anyone else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType

from django.db import connection

from contacts.models import Contact, ContactSource
from contacts.reasons import DUPLICATE

# Fixed columns, in the order the importer builds its row tuples. `status` is the
# file's verdict (valid, invalid, or duplicate of an earlier row of the file).
STAGE_COLUMNS = (
    "row_number",
    "raw_phone",
    "phone",
    "status",
    "reason",
    "country",
    "number_type",
    "first_name",
    "last_name",
)
# jsonb_build_object() takes at most 100 arguments and SQLite's json_object() 127:
# attributes are built in chunks of 40 pairs and merged.
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
        self.attributes = attributes
        self.columns = (*STAGE_COLUMNS, *(f"a{i}" for i in range(attributes)))
        self.postgres = connection.vendor == "postgresql"

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
        # A failed transaction must end before the session can run DDL again.
        if connection.needs_rollback or not connection.is_usable():
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")

    def write(self, rows: Sequence[tuple]) -> None:
        """Append rows (tuples in `self.columns` order)."""
        with connection.cursor() as cursor:
            if self.postgres:
                names = ", ".join(self.columns)
                with cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
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
            if self.postgres:
                # Temp tables are never auto-analysed; without statistics the planner
                # guesses a handful of rows and picks nested loops for a million.
                cursor.execute(f"ANALYZE {self.table}")
                cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(sql, params)

    def _attributes_sql(self, keys: Sequence[str]) -> tuple[str, list[str]]:
        """SQL building the attributes JSON from the a<i> columns, and its params."""
        if not keys:
            return ("'{}'::jsonb" if self.postgres else "'{}'"), []
        build, merge = (
            ("jsonb_build_object", "({} || {})")
            if self.postgres
            else ("json_object", "json_patch({}, {})")
        )
        sql, params = "", []
        for start in range(0, len(keys), _PAIRS):
            chunk = range(start, min(start + _PAIRS, len(keys)))
            part = ", ".join(f"CAST(%s AS text), s.a{i}" for i in chunk)
            part = f"{build}({part})"
            sql = merge.format(sql, part) if sql else part
            params += [keys[i] for i in chunk]
        return sql, params
