"""Finding the header row under title rows and mapping its columns to fields (DESIGN.md section 5: columns are
recognised as a whole, with how sure each guess was; reports.columns scores them)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reports import columns
from reports.columns import FIELD_LABELS, FIELDS, normalize_header
from reports.ingest.types import (
    HEADER_SCAN_ROWS,
    SAMPLE_ROWS,
    IngestError,
    _Grid,
)

# --------------------------------------------------------------------------------------------------------------
# Header row and column mapping (the recognition itself is reports.columns)


def _find_header_index(rows: list[list[str]], mapping: Mapping[str, str | None] | None) -> int | None:
    """Position of the header row among the first rows: the one naming the most fields (given headers count most).

    None when no row names at least two fields: the user then chooses the header row.
    """
    wanted = {text.strip() for text in (mapping or {}).values() if text}
    best_index, best_score = 0, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [str(cell).strip() for cell in row]
        points = sum(1 for cell in cells if cell in wanted) * 100 + columns.header_row_score(cells)
        if points > best_score:
            best_index, best_score = index, points
    return best_index if best_score >= 2 else None


def _first_filled_index(rows: list[list[str]]) -> int:
    return next((index for index, row in enumerate(rows) if any(str(cell).strip() for cell in row)), 0)


NO_HEADER_MESSAGE = (
    "No header row found: none of the first rows names at least two of the columns expected "
    "(date, vendor, item, quantity, unit price, extended amount...). Choose the header row and the columns in the "
    "preview, or give a column mapping."
)


def _headers_of(row: list[str]) -> list[str]:
    headers: list[str] = []
    for position, cell in enumerate(row):
        text = str(cell).strip()
        if "\x00" in text:
            # PostgreSQL cannot store a NUL in text or JSON: refuse before anything is stored.
            raise IngestError(
                f"The header of column {position + 1} contains a NUL character (binary data): "
                "save the file again from your spreadsheet program and retry."
            )
        headers.append(text if text else f"(column {position + 1})")
    return headers


def check_mapping(headers: list[str], given: Mapping[str, str | None] | None) -> None:
    """IngestError when a given mapping names an unknown field or a header that is not in the header row."""
    for name, header in (given or {}).items():
        if name not in FIELDS:
            raise IngestError(f"Unknown field {name!r} in the column mapping (fields: {', '.join(FIELDS)}).")
        if header and header not in headers:
            raise IngestError(f"The column {header!r} chosen for {FIELD_LABELS[name]} is not in the header row.")


def _samples(grid: _Grid, header_index: int, width: int) -> list[list[str]]:
    """Values of the first SAMPLE_ROWS non-blank rows under the header, per column."""
    rows = [row for row in grid.rows(header_index + 1, header_index + 1 + 4 * SAMPLE_ROWS) if any(row)][:SAMPLE_ROWS]
    return [[row[position] for row in rows] for position in range(width)]


def header_signature(headers: list[str]) -> str:
    """A stable fingerprint of a header layout (normalised header texts) to remember a corrected mapping by."""
    return hashlib.sha256("\x1f".join(normalize_header(header) for header in headers).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Header:
    """Where the header row is, its texts, the mapping recognised under it and how sure each field is."""

    index: int
    headers: list[str]
    mapping: dict[str, str]
    confidence: dict[str, str]
    found: bool


def _header_and_mapping(
    grid: _Grid,
    mapping: Mapping[str, str | None] | None,
    *,
    header_row: int | None = None,
    required: bool = True,
) -> _Header:
    """The header row (found, or the one given by its row number) and the column mapping under it.

    Without a header row found, `required` raises IngestError; otherwise the first filled row stands in for it.
    """
    if grid.height == 0:
        raise IngestError("The file is empty: no header row found.")
    top = grid.rows(0, HEADER_SCAN_ROWS)
    found = True
    if header_row is not None:
        positions = np.flatnonzero(grid.row_numbers == header_row)
        if not len(positions):
            raise IngestError(f"Row {header_row} is not one of the rows read: choose the header row again.")
        index = int(positions[0])
        top = grid.rows(0, index + 1)
    else:
        detected = _find_header_index(top, mapping)
        if detected is None:
            if required:
                raise IngestError(NO_HEADER_MESSAGE)
            found, detected = False, _first_filled_index(top)
        index = detected
    headers = _headers_of(top[index])
    check_mapping(headers, mapping)
    recognition = columns.recognise(headers, _samples(grid, index, len(headers)), mapping)
    return _Header(index, headers, recognition.mapping(headers), recognition.confidence, found)
