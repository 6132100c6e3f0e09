"""Writing rows of a model in bulk from columns: binary COPY on PostgreSQL, one prepared executemany elsewhere.

Never row by row and never through model instances: a million-line upload is one COPY in PostgreSQL's binary
format, encoded per column with numpy and joined row by row by Arrow, so PostgreSQL parses no text. Columns come
as Arrow arrays of the column's type: money as exact decimals (built from integer ten-thousandths or cents, never
through floating point), dates as date32, moments as UTC timestamps, ids as int64 with nulls.

A COPY given `references` checks them itself once it is in (reports.db.line_references tells the insert trigger
to skip that statement), in place of the trigger grouping every row again.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import IntegrityError, connection, models, transaction
from psycopg.copy import QueuedLibpqWriter

from reports.db.line_references import CHECKED_SETTING, LOCK

# Rows encoded per COPY message: a batch of 100,000 goes in four, the first sent while the next is encoded.
_COPY_ROWS = 25_000
_EXECUTEMANY_ROWS = 20_000

Columns = Mapping[str, Any]

# PostgreSQL's binary COPY: signature, flags and header extension length; the trailer is a field count of -1.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_BINARY_TRAILER = b"\xff\xff"
# PostgreSQL counts dates and timestamps from 2000-01-01 (UTC); Arrow from 1970-01-01.
_PG_EPOCH_DAYS = 10_957
_PG_EPOCH_MICROSECONDS = _PG_EPOCH_DAYS * 86_400 * 1_000_000
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC_NEGATIVE = 0x4000
_INTEGER_BYTES = {"int2": 2, "int4": 4, "int8": 8}
_INTEGER_KINDS = {
    "SmallIntegerField": "int2",
    "PositiveSmallIntegerField": "int2",
    "SmallAutoField": "int2",
    "IntegerField": "int4",
    "PositiveIntegerField": "int4",
    "AutoField": "int4",
    "BigIntegerField": "int8",
    "PositiveBigIntegerField": "int8",
    "BigAutoField": "int8",
}
_OTHER_KINDS = {
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "CharField": "text",
    "TextField": "text",
    "SlugField": "text",
    "EmailField": "text",
}


@dataclass(frozen=True)
class ColumnType:
    """What writing a column needs to know of it: the kind of value, and for numeric its precision and scale."""

    kind: str  # int2, int4, int8, numeric, date, timestamptz or text
    precision: int = 0
    scale: int = 0

    def __str__(self) -> str:
        return f"numeric({self.precision}, {self.scale})" if self.kind == "numeric" else self.kind


@functools.cache
def column_types(model: type[models.Model]) -> dict[str, ColumnType]:
    """The model's database columns that bulk writes can fill, with their types (PostgreSQL's names)."""
    types = {}
    for field in model._meta.concrete_fields:
        # A key column has the type of the column it refers to.
        target = cast(models.ForeignKey, field).target_field if field.is_relation else field
        internal = target.get_internal_type()
        if internal == "DecimalField":
            decimal = cast(models.DecimalField, target)
            types[field.column] = ColumnType("numeric", decimal.max_digits or 0, decimal.decimal_places or 0)
        elif kind := _INTEGER_KINDS.get(internal, _OTHER_KINDS.get(internal)):
            types[field.column] = ColumnType(kind)
    return types


def decimal_array(values: np.ndarray, places: int, *, missing: np.ndarray | None = None) -> pa.Array:
    """Integers in units of 10^-places as exact decimals (decimal128(18, places)); null where `missing`.

    Built from the integers' bytes (a decimal128 is a 16-byte two's complement integer: the int64 and its sign
    extended), so no value passes through floating point or text.
    """
    values = np.asarray(values, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63
    validity = None if missing is None or not missing.any() else _bitmap(~np.asarray(missing, dtype=bool))
    return pa.Array.from_buffers(pa.decimal128(18, places), len(values), [validity, pa.py_buffer(words)])


def moment_array(moment: datetime, size: int) -> pa.Array:
    """The same aware moment on each of `size` rows, as a UTC timestamp column (microseconds)."""
    if moment.tzinfo is None:
        raise ValueError("A stored moment must be aware (USE_TZ): got a naive datetime")
    microseconds = (moment - _UNIX_EPOCH) // timedelta(microseconds=1)
    return pa.array(np.full(size, microseconds, dtype=np.int64)).view(pa.timestamp("us", tz="UTC"))


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


def _arrow_type(column: ColumnType) -> pa.DataType:
    """The Arrow type plain values are converted to for this column."""
    match column.kind:
        case "int2":
            return pa.int16()
        case "int4":
            return pa.int32()
        case "int8":
            return pa.int64()
        case "numeric":
            return pa.decimal128(column.precision, column.scale)
        case "date":
            return pa.date32()
        case "timestamptz":
            return pa.timestamp("us", tz="UTC")
    return pa.string()


def _fits(arrow: pa.DataType, column: ColumnType) -> bool:
    """Whether values of this Arrow type are values of the column (the same numbers, days, moments or text)."""
    if pa.types.is_null(arrow):
        return True
    match column.kind:
        case "int2" | "int4" | "int8":
            return pa.types.is_integer(arrow)
        case "numeric":
            return pa.types.is_decimal128(arrow) and arrow.scale == column.scale
        case "date":
            return pa.types.is_date(arrow)
        case "timestamptz":
            return pa.types.is_timestamp(arrow) and arrow.tz is not None
    if pa.types.is_dictionary(arrow):
        arrow = arrow.value_type
    return pa.types.is_string(arrow) or pa.types.is_large_string(arrow)


def _typed(name: str, values: Any, column: ColumnType) -> pa.Array | pa.ChunkedArray:
    """The column's values as Arrow of its type (int16/32/64, decimal128, date32, UTC microseconds or string).

    An Arrow array must already hold the column's kind of value; plain values are converted. Converting is exact
    or fails (text is parsed, a decimal is rescaled only without loss, an integer must be in the column's range).
    """
    target = _arrow_type(column)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if not _fits(values.type, column):
            raise TypeError(
                f"Column {name!r} is {column} in the database: Arrow values of type {values.type} do not fit"
            )
        if values.type == target or (column.kind == "numeric" and pa.types.is_decimal128(values.type)):
            return values  # a decimal of any precision: PostgreSQL checks the digits against the column's
    else:
        values = pa.array(values)
    try:
        return pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(f"Column {name!r} ({column}): {exc}") from exc


def _table(columns: Columns, types: Mapping[str, ColumnType]) -> pa.Table:
    unknown = [name for name in columns if name not in types]
    if unknown:
        raise ValueError(f"No such columns to write: {unknown}")
    return pa.table({name: _typed(name, values, types[name]) for name, values in columns.items()})


def _bitmap(valid: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _binary(items: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Each item of a numpy array (its bytes as they lie) as one binary value, null where not `valid`; no copy."""
    size, width = len(items), items.dtype.itemsize
    offsets = np.arange(0, (size + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(items).view(np.uint8)
    validity = None if valid is None else _bitmap(valid)
    return pa.Array.from_buffers(pa.binary(), size, [validity, pa.py_buffer(offsets), pa.py_buffer(data)])


def _fields(payload: np.ndarray, valid: np.ndarray) -> list[pa.Array]:
    """Binary COPY fields of fixed-width big-endian payloads: each a length then the payload, -1 for NULL."""
    width = payload.dtype.itemsize
    if valid.all():
        record = np.empty(len(payload), dtype=[("length", ">i4"), ("payload", payload.dtype)])
        record["length"] = width
        record["payload"] = payload
        return [_binary(record)]
    # NULL rows carry only the length: their payload is null, which binary_join_element_wise skips.
    return [_binary(np.where(valid, width, -1).astype(">i4")), _binary(payload, valid)]


def _valid(values: pa.Array) -> np.ndarray:
    return cast(np.ndarray, values.is_valid().to_numpy(zero_copy_only=False))


def _integers(values: pa.Array) -> np.ndarray:
    return cast(np.ndarray, pc.fill_null(values, 0).to_numpy(zero_copy_only=False))


def _scaled_integers(values: pa.Array, name: str) -> np.ndarray:
    """A decimal128 column's unscaled values as int64 (0 where NULL); a value beyond int64 fails."""
    words = np.frombuffer(values.buffers()[1], dtype=np.int64, count=2 * (values.offset + len(values)))
    words = words.reshape(-1, 2)[values.offset :]
    low, high = words[:, 0], words[:, 1]
    valid = _valid(values)
    if values.type.precision > 18 and (valid & (high != low >> 63)).any():
        raise ValueError(f"Column {name!r}: a decimal beyond 18 digits cannot be written")
    return np.where(valid, low, 0)


def _numeric_fields(values: pa.Array, name: str) -> list[pa.Array]:
    """PostgreSQL numeric: digit count, weight, sign, display scale, then base-10000 digits, most significant first.

    Every row of a batch gets the same digit groups (enough for the batch's largest value, the fraction padded to
    whole groups); PostgreSQL strips the leading and trailing zero groups as it receives them.
    """
    scale = values.type.scale
    scaled = _scaled_integers(values, name)
    magnitude = np.abs(scaled).astype(np.uint64)  # np.abs(int64 min) wraps, and reads right as uint64
    fraction_groups = -(-scale // 4)
    fraction = (magnitude % np.uint64(10**scale)) * np.uint64(10 ** (4 * fraction_groups - scale))
    whole = magnitude // np.uint64(10**scale)
    largest = int(whole.max()) if len(whole) else 0
    whole_groups = (len(str(largest)) + 3) // 4 if largest else 0
    groups = whole_groups + fraction_groups
    payload = np.empty(
        len(scaled),
        dtype=[("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"), ("dscale", ">u2"), ("digits", ">i2", (groups,))],
    )
    payload["ndigits"] = groups
    payload["weight"] = whole_groups - 1
    payload["sign"] = np.where(scaled < 0, _NUMERIC_NEGATIVE, 0)
    payload["dscale"] = scale
    base = np.uint64(10_000)
    digits = np.empty((len(scaled), groups), dtype=np.uint64)
    for group in range(fraction_groups - 1, -1, -1):
        digits[:, whole_groups + group] = fraction % base
        fraction //= base
    for group in range(whole_groups - 1, -1, -1):
        digits[:, group] = whole % base
        whole //= base
    payload["digits"] = digits
    return _fields(payload, _valid(values))


def _column_fields(name: str, values: pa.Array, column: ColumnType) -> list[pa.Array]:
    """The binary COPY fields of a column as _typed gives it (binary arrays that join, row by row, into the fields)."""
    match column.kind:
        case "int2" | "int4" | "int8":
            return _fields(_integers(values).astype(f">i{_INTEGER_BYTES[column.kind]}"), _valid(values))
        case "numeric":
            return _numeric_fields(values, name)
        case "date":
            days = _integers(values.cast(pa.int32())) - _PG_EPOCH_DAYS
            return _fields(days.astype(">i4"), _valid(values))
        case "timestamptz":
            microseconds = _integers(values.cast(pa.int64())) - _PG_EPOCH_MICROSECONDS
            return _fields(microseconds.astype(">i8"), _valid(values))
    # Text: the UTF-8 bytes as they lie in the array; a NULL's (null) payload is skipped by the join.
    lengths = pc.fill_null(pc.binary_length(values), -1).to_numpy(zero_copy_only=False)
    return [_binary(lengths.astype(">i4")), values.cast(pa.binary())]


def _binary_rows(batch: pa.RecordBatch, types: Mapping[str, ColumnType]) -> memoryview:
    """The batch's rows in PostgreSQL's binary COPY format (without header and trailer)."""
    count = pa.scalar(batch.num_columns.to_bytes(2, "big"), type=pa.binary())
    fields = [
        part
        for name, values in zip(batch.column_names, batch.columns, strict=True)
        for part in _column_fields(name, values, types[name])
    ]
    rows = pc.binary_join_element_wise(count, *fields, b"", null_handling="skip")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=rows.offset + len(rows) + 1)[rows.offset :]
    return memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]


def _copy(
    tables: Iterable[pa.Table],
    target: str,
    names: list[str],
    types: Mapping[str, ColumnType],
    *,
    queued: bool = False,
    references: Sequence[tuple[str, str]] = (),
) -> int:
    """COPY the tables' rows into `target` (its columns by name) in binary, in slices; returns the rows written.

    `queued`: a psycopg writer thread sends the data while this thread makes the next table, so PostgreSQL
    stores and indexes one batch (on its own core) while Python prices the next.

    `references` ((column, referenced table), for the lines): the distinct ids of those columns are gathered from
    the rows as they are sent and checked once after the COPY, in place of the insert trigger's check of the
    whole statement (which groups every row again: about 1.5 s of PostgreSQL's time per million lines).
    """
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    sql = f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT binary)"
    sent: dict[str, list[pa.Array]] = {column: [] for column, _ in references if column in names}
    written = 0
    with transaction.atomic(savepoint=False), connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        if references:
            raw.execute("SELECT set_config(%s, 'copy', true)", [CHECKED_SETTING])
        writer = QueuedLibpqWriter(raw) if queued else None
        with raw.copy(sql, writer=writer) as copy:
            copy.write(_BINARY_HEADER)
            for table in tables:
                if table.column_names != names:
                    raise ValueError(f"Batch columns {table.column_names} differ from the first batch's {names}")
                for batch in table.to_batches(max_chunksize=_COPY_ROWS):
                    if batch.num_rows:  # an empty buffer would stop the writer thread
                        copy.write(_binary_rows(batch, types))
                for column, ids in sent.items():
                    ids.append(pc.unique(table.column(column)))
                written += table.num_rows
            copy.write(_BINARY_TRAILER)
        if references:
            _references_check(raw, target, sent, dict(references))
    return written


def _references_check(raw: Any, target: str, sent: Mapping[str, list[pa.Array]], tables: Mapping[str, str]) -> None:
    """Refuse the COPY (IntegrityError, as the trigger would) if an id it sent has no row in its referenced table.

    The reference lock is taken first, in its own statement: this check's snapshot then sees every delete that
    committed before it, and a delete still in flight waits for this transaction and finds its lines.
    """
    raw.execute(
        "SELECT current_setting(%s, true), pg_advisory_xact_lock_shared(%s, %s)",
        [CHECKED_SETTING, *LOCK],
    )
    if raw.fetchone()[0] != "":
        raise IntegrityError(f"{target}: the reference trigger did not run (is migration reports/0010 applied?)")
    probes, params = [], []
    for column, parts in sent.items():
        ids = pc.unique(pa.chunked_array(parts, type=pa.int64())).drop_null().to_numpy()
        if not len(ids):
            continue
        probes.append(
            f"SELECT %s, r.id FROM unnest(%s::text::bigint[]) AS r(id) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {connection.ops.quote_name(tables[column])} t WHERE t.id = r.id)"
        )
        # An array as one text parameter: PostgreSQL parses it far faster than the driver adapts 10^5 ints.
        params += [column, "{" + ",".join(np.sort(ids).astype(str).tolist()) + "}"]
    if not probes:
        return
    raw.execute(f"SELECT * FROM ({' UNION ALL '.join(probes)}) missing LIMIT 1", params)
    found = raw.fetchone()
    if found is not None:
        column, missing = found
        raise IntegrityError(
            f'insert or update on table {target} violates its reference "{column}": '
            f'no row {missing} in "{tables[column]}"'
        )


def _python_values(values: pa.ChunkedArray, column: ColumnType) -> list[Any]:
    """A column as the values Django's SQLite backend stores: decimals, dates and moments as its text."""
    match column.kind:
        case "numeric" | "date":
            return values.cast(pa.string()).to_pylist()
        case "timestamptz":
            # DatabaseOperations.adapt_datetimefield_value: str() of the naive time in the connection's zone.
            local = values.cast(pa.timestamp("us", tz=connection.timezone_name))
            text = pc.replace_substring_regex(pc.strftime(local, format="%Y-%m-%d %H:%M:%S"), r"\.000000$", "")
            return text.to_pylist()
    return values.to_pylist()


def _rows(table: pa.Table, types: Mapping[str, ColumnType]) -> list[tuple[Any, ...]]:
    columns = [_python_values(table.column(name), types[name]) for name in table.column_names]
    return list(zip(*columns, strict=True))


def rows_insert_batches(
    model: type[models.Model], batches: Iterable[Columns], *, references: Sequence[tuple[str, str]] = ()
) -> int:
    """Insert rows of the model given as batches of columns named after its database columns; returns the count.

    Arrow arrays must have their column's type (decimals of its scale, date32, UTC timestamps, integers, text);
    plain values are converted to it exactly or refused. `references`: see `_copy` (PostgreSQL; SQLite's row
    triggers check each row).
    """
    types = column_types(model)
    tables = (_table(columns, types) for columns in batches)
    first = next(tables, None)
    if first is None:
        return 0
    target = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        return _copy(
            itertools.chain([first], tables), target, first.column_names, types, queued=True, references=references
        )
    names = ", ".join(connection.ops.quote_name(name) for name in first.column_names)
    placeholders = ", ".join(["%s"] * first.num_columns)
    sql = f"INSERT INTO {target} ({names}) VALUES ({placeholders})"
    written = 0
    with connection.cursor() as cursor:
        for table in itertools.chain([first], tables):
            for start in range(0, table.num_rows, _EXECUTEMANY_ROWS):
                cursor.executemany(sql, _rows(table.slice(start, _EXECUTEMANY_ROWS), types))
            written += table.num_rows
    return written


def rows_update(model: type[models.Model], columns: Columns) -> int:
    """Set the given columns of the model's rows whose `id` is given (PostgreSQL: COPY to a temporary table, one
    UPDATE); returns the count."""
    types = column_types(model)
    table = _table(columns, types)
    if not table.num_rows:
        return 0
    quote = connection.ops.quote_name
    target = quote(model._meta.db_table)
    fields = [name for name in table.column_names if name != "id"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE IF EXISTS line_results")
            cursor.execute(
                f"CREATE TEMPORARY TABLE line_results AS "
                f"SELECT {', '.join(quote(n) for n in table.column_names)} FROM {target} WITH NO DATA"
            )
            _copy([table], "line_results", table.column_names, types)
            assignments = ", ".join(f"{quote(n)} = r.{quote(n)}" for n in fields)
            cursor.execute(f"UPDATE {target} AS l SET {assignments} FROM line_results AS r WHERE l.id = r.id")
            cursor.execute("DROP TABLE line_results")
            return table.num_rows
        assignments = ", ".join(f"{quote(n)} = %s" for n in fields)
        sql = f"UPDATE {target} SET {assignments} WHERE id = %s"
        ordered = table.select([*fields, "id"])
        for start in range(0, ordered.num_rows, _EXECUTEMANY_ROWS):
            cursor.executemany(sql, _rows(ordered.slice(start, _EXECUTEMANY_ROWS), types))
    return table.num_rows
