"""Many rows in one statement: the write path of dispatch, receipts and the simulator.

`bulk_create` and `bulk_update` build a model instance per row and, for updates, a
`CASE WHEN id = ... THEN ...` per row: at thousands of rows per batch they cost
more than the database work itself. On PostgreSQL these helpers send each column
as one array and let `unnest` turn them back into rows, so a batch of 5,000 is a
single short statement. Other databases (the SQLite quick start) get the ORM's
bulk methods, which are fast enough at its scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def _arrays(model: type[Model], columns: Sequence[str], rows: Sequence[tuple]):
    fields = [model._meta.get_field(name) for name in columns]
    casts = [f"%s::{field.cast_db_type(connection)}[]" for field in fields]
    values = [
        [field.get_db_prep_save(value, connection) for value in column]
        for field, column in zip(fields, zip(*rows, strict=True), strict=True)
    ]
    return fields, casts, values


def rows_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT `rows` (tuples in `columns` order); conflicting rows skipped if asked."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (model(**dict(zip(columns, row, strict=True))) for row in rows),
            ignore_conflicts=ignore_conflicts,
        )
        return
    fields, casts, values = _arrays(model, columns, rows)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) "
        f"SELECT * FROM unnest({', '.join(casts)})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
