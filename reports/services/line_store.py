"""Writing purchase lines in bulk from columns: COPY on PostgreSQL, one prepared executemany elsewhere.

Never row by row and never through model instances: a million-line upload is one COPY of CSV text that Arrow
writes from the columns. Money arrives as integers (ten-thousandths or cents) and is written as exact decimal
text, so nothing passes through floating point.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from reports.models import PurchaseLine

_COPY_ROWS = 100_000
_EXECUTEMANY_ROWS = 20_000
# The advisory lock on which writers of lines (shared) and deleters of rows lines reference (exclusive) meet in
# PostgreSQL's reference triggers (migration reports/0009 installs them with these two keys).
LINE_REFERENCES_LOCK = (4_710_213, 1)

Columns = Mapping[str, Any]


def decimal_text(values: np.ndarray, places: int, *, missing: np.ndarray | None = None) -> pa.Array:
    """Integers in units of 10^-places as exact decimal text ("-12.3400"); null where `missing`."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    scale = 10**places
    whole = pc.cast(pa.array(magnitude // scale), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(magnitude % scale), pa.string()), places, "0")
    text = pc.binary_join_element_wise(whole, fraction, ".")
    text = pc.if_else(pa.array(values < 0), pc.binary_join_element_wise("-", text, ""), text)
    if missing is not None and missing.any():
        text = pc.if_else(pa.array(missing), pa.nulls(len(values), pa.string()), text)
    return text


def ids_or_null(values: np.ndarray, none: int = -1) -> pa.Array:
    """Integer ids with `none` as SQL NULL."""
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, mask=values == none)


def text_array(values: Any) -> pa.Array:
    """A column of text as an Arrow string array (a categorical is expanded from its codes, not cell by cell)."""
    if isinstance(values, pa.Array):
        return values
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        categorical = cast(pd.Categorical, values.array if isinstance(values, pd.Series) else values)
        categories = pa.array([str(c) for c in categorical.categories], type=pa.string())
        return categories.take(pa.array(np.asarray(categorical.codes, dtype=np.int64)))
    return pa.array(values, type=pa.string())


def text_column(values: Any, limit: int) -> pa.Array:
    """Text cut to the column's width (PostgreSQL refuses longer text; SQLite would keep it silently)."""
    return pc.utf8_slice_codeunits(pc.fill_null(text_array(values), ""), 0, limit)


def _table(columns: Columns) -> pa.Table:
    return pa.table(
        {name: value if isinstance(value, pa.Array) else pa.array(value) for name, value in columns.items()}
    )


def _copy(tables: Iterable[pa.Table], target: str, names: list[str], *, queued: bool = False) -> int:
    """COPY the tables' rows into `target` (its columns by name) as CSV, in slices; returns the rows written.

    `queued`: a psycopg writer thread sends the data while this thread makes the next table, so PostgreSQL
    parses and indexes one batch (on its own core) while Python prices the next.
    """
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    sql = f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT csv)"
    written = 0
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        writer = QueuedLibpqWriter(raw) if queued else None
        with raw.copy(sql, writer=writer) as copy:
            for table in tables:
                if table.column_names != names:
                    raise ValueError(f"Batch columns {table.column_names} differ from the first batch's {names}")
                for batch in table.to_batches(max_chunksize=_COPY_ROWS):
                    buffer = io.BytesIO()
                    pa_csv.write_csv(batch, buffer, options)
                    copy.write(buffer.getvalue())
                written += table.num_rows
    return written


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def line_references_lock() -> None:
    """Take the lines' reference lock exclusive for the rest of the transaction (PostgreSQL; nothing elsewhere).

    For a transaction that writes lines and then deletes rows lines may reference: the triggers would take the lock
    shared, then exclusive, and two such transactions could deadlock. Taking it exclusive first makes them queue.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", LINE_REFERENCES_LOCK)


def lines_insert(columns: Columns) -> int:
    """Insert purchase lines given as columns named after PurchaseLine's database columns; returns the count."""
    return lines_insert_batches([columns])


def lines_insert_batches(batches: Iterable[Columns]) -> int:
    """Insert purchase lines given as batches of columns (the same names in each); returns the count.

    On PostgreSQL every batch goes into one COPY while the next batch is being made, so a batch iterator must not
    query the database after its first batch: the connection is busy copying until the last batch is in.
    """
    return rows_insert_batches(PurchaseLine._meta.db_table, batches)


def rows_insert_batches(db_table: str, batches: Iterable[Columns]) -> int:
    """Insert rows given as batches of columns named after the table's database columns; returns the count."""
    tables = (_table(columns) for columns in batches)
    first = next(tables, None)
    if first is None:
        return 0
    target = connection.ops.quote_name(db_table)
    if connection.vendor == "postgresql":
        return _copy(itertools.chain([first], tables), target, first.column_names, queued=True)
    names = ", ".join(connection.ops.quote_name(name) for name in first.column_names)
    placeholders = ", ".join(["%s"] * first.num_columns)
    sql = f"INSERT INTO {target} ({names}) VALUES ({placeholders})"
    written = 0
    with connection.cursor() as cursor:
        for table in itertools.chain([first], tables):
            for start in range(0, table.num_rows, _EXECUTEMANY_ROWS):
                cursor.executemany(sql, _rows(table.slice(start, _EXECUTEMANY_ROWS)))
            written += table.num_rows
    return written


def lines_update(columns: Columns) -> int:
    """Set the given columns of the lines whose `id` is given (PostgreSQL: COPY to a temporary table, one UPDATE)."""
    table = _table(columns)
    if not table.num_rows:
        return 0
    quote = connection.ops.quote_name
    target = quote(PurchaseLine._meta.db_table)
    fields = [name for name in table.column_names if name != "id"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE IF EXISTS line_results")
            cursor.execute(
                f"CREATE TEMPORARY TABLE line_results AS "
                f"SELECT {', '.join(quote(n) for n in table.column_names)} FROM {target} WITH NO DATA"
            )
            _copy([table], "line_results", table.column_names)
            assignments = ", ".join(f"{quote(n)} = r.{quote(n)}" for n in fields)
            cursor.execute(f"UPDATE {target} AS l SET {assignments} FROM line_results AS r WHERE l.id = r.id")
            cursor.execute("DROP TABLE line_results")
            return table.num_rows
        assignments = ", ".join(f"{quote(n)} = %s" for n in fields)
        sql = f"UPDATE {target} SET {assignments} WHERE id = %s"
        ordered = table.select([*fields, "id"])
        for start in range(0, ordered.num_rows, _EXECUTEMANY_ROWS):
            cursor.executemany(sql, _rows(ordered.slice(start, _EXECUTEMANY_ROWS)))
    return table.num_rows
