"""Purchase file ingestion: any finance spreadsheet to validated purchase lines (DESIGN.md section 5).

Split by meaning: `formats` reads a file (its type by content, package safety checks, cells as a grid of text),
`header` finds the header row and maps the columns, `values` reads money, quantities and dates, `rows` holds the row
rules (skip, reject, derive), `types` what they answer with. This module is the entry: `preview`, `ingest_file`.

Pure: no ORM, no request (settings are read inside functions, for the limits only). Reads xlsx/xlsm/xls/ods through
fastexcel (Rust calamine) with every column forced to text, csv/tsv through Arrow's csv reader (bytes read and checked
once, every column text); finds the header row under title rows, maps the columns (synonyms, then rapidfuzz), and
accepts or rejects every data row with vectorised Arrow compute kernels (RE2 regexes, no Python loop per row on the
common path; columns that repeat themselves, such as dates and quantities, are parsed once per distinct text). Money and
quantities are parsed from the cell's text into scaled integers, never through float (STYLE.md rule 6): quantity and
unit price x 10^4, amounts in cents, rounded half away from zero like gpo.money. The usual shapes ("1234.5",
"$1,234.56") are Arrow decimal casts; other spellings are cleaned first, and rare shapes such as "1E3" go through
Decimal, per cell.

Choices worth knowing:
- When a file has both "Pack Price" and "Unit Price" (the SCMS export), `unit_price` is the pack price: quantities in
  such files count packs and "quantity x pack price = line value" holds, so the price per the line's UOM is the pack
  price. "Unit Price" is then left unmapped (the user can pick it in the preview). SCMS's "Unit of Measure (Per Pack)"
  maps to `uom` and carries the pack size as given ("30").
- Trailing blank rows (spreadsheet padding) are ignored, not counted as skipped; blank rows between data rows are
  skipped and counted. A run of BLANK_RUN_LIMIT blank rows with data after it refuses the file, naming the rows
  (SECURITY.md item 7): never a silent stop.
- A rejected row gets one RowError, the first reason that applies in this order: formula without a saved value or
  error cell (xlsx/xlsm), date missing, date unreadable, vendor blank, number unreadable, number too large
  (|value| >= 10^14: more than the database columns hold), fewer than two of quantity / unit price / extended amount,
  zero unit price with no quantity, quantity zero (at 4 places), derived unit price / quantity or spend too large.
- Derived values: unit price = extended / quantity, quantity = extended / unit price, computed exactly in integers from
  the stored values (cents, x 10^4) and rounded once to 4 places; spend = the extended amount as given (to cents) else
  cents(quantity x unit price) of the 4-place values.
- file_total counts every data row's spend (rejected rows too) where it can be read; values too large count as 0.
- A known extension that disagrees with the content (an .xls renamed .xlsx) is refused; pass `filename=` with the
  user's file name when the stored path has none.
- `progress` receives percentages (5, 40, 100). `lines` columns: row_number int64, purchase_date datetime64, text
  columns (Arrow strings, "" when absent), quantity_e4 / unit_price_e4 int64 (x 10^4), extended_cents int64 (0 when
  absent) with has_extended bool, spend_cents int64. file_total / accepted_total are exact Decimal sums of the cents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reports.columns import FIELD_LABELS, FIELDS, NUMBER_FIELDS
from reports.ingest.formats import ZIP_FORMATS, _detect, _read_grid, check_zip_container, detect_format
from reports.ingest.header import NO_HEADER_MESSAGE, _header_and_mapping, check_mapping, header_signature
from reports.ingest.rows import _validate
from reports.ingest.types import (
    DAMAGED_MESSAGE,
    HEADER_SCAN_ROWS,
    PASSWORD_MESSAGE,
    IngestError,
    IngestResult,
    Preview,
    RowError,
)

# The package's public names: what the upload services, pages, API and commands use.
__all__ = [
    "DAMAGED_MESSAGE",
    "FIELDS",
    "FIELD_LABELS",
    "NO_HEADER_MESSAGE",
    "NUMBER_FIELDS",
    "PASSWORD_MESSAGE",
    "ZIP_FORMATS",
    "CellRows",
    "IngestError",
    "IngestResult",
    "Preview",
    "RowError",
    "check_mapping",
    "check_zip_container",
    "detect_format",
    "header_signature",
    "ingest_file",
    "missing_fields",
    "preview",
    "read_cells",
    "require_fields",
]

# --------------------------------------------------------------------------------------------------------------
# Public entry points


def preview(
    path: Path,
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    rows: int = 20,
    filename: str | None = None,
    header_row: int | None = None,
) -> Preview:
    """The header row, detected (or given) mapping and first data rows of a file, without validating the rows.

    A file whose header row cannot be found still previews (`header_found` False), so the user can choose it.
    """
    path = Path(path)
    file_format, csv_bytes = _detect(path, filename)
    grid = _read_grid(path, file_format, sheet, HEADER_SCAN_ROWS + rows + 1000, mapping, csv_bytes, header_row)
    header = _header_and_mapping(grid, mapping, header_row=header_row, required=False)
    following = grid.rows(header.index + 1, grid.height)
    sample = [row for row in following if any(cell.strip() for cell in row)][:rows]
    return Preview(
        file_format=file_format,
        sheet_names=grid.sheet_names,
        sheet_name=grid.sheet_name,
        header_row=int(grid.row_numbers[header.index]),
        headers=header.headers,
        mapping=header.mapping,
        sample_rows=sample,
        header_signature=header_signature(header.headers),
        confidence=header.confidence,
        header_found=header.found,
        top_rows=[(int(grid.row_numbers[i]), row) for i, row in enumerate(grid.rows(0, HEADER_SCAN_ROWS))],
    )


@dataclass
class CellRows:
    """Every row of a sheet as cell text, with the row number the user sees (csv: the line in the file)."""

    file_format: str
    sheet_name: str
    rows: list[tuple[int, list[str]]]
    unusable_cells: dict[tuple[int, int], str]  # (row number, column position) -> why (a formula without a value)


def read_cells(path: Path, *, sheet: str | None = None, filename: str | None = None) -> CellRows:
    """A file's rows as text through the same type detection, safety limits and readers as purchase files, for
    reports with columns of their own (vendors' admin-fee reports); the caller finds its header among them. A csv
    grid starts at its header line when one is recognised (title lines above it are left out)."""
    path = Path(path)
    file_format, csv_bytes = _detect(path, filename)
    grid = _read_grid(path, file_format, sheet, None, None, csv_bytes)
    numbers = [int(number) for number in grid.row_numbers]
    return CellRows(
        file_format, grid.sheet_name, list(zip(numbers, grid.rows(0, grid.height), strict=True)), grid.unusable_cells
    )


def ingest_file(
    path: Path,
    *,
    sheet: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    progress: Callable[[int], None] | None = None,
    filename: str | None = None,
    header_row: int | None = None,
) -> IngestResult:
    """Read a purchase file and accept or reject every data row by DESIGN.md section 5; `progress` gets 0-100.

    `mapping` fixes fields by header text (None or "": the field is not in the file); the others are recognised.
    `header_row` is the header's row number as the spreadsheet shows it (csv: the line), when detection fails.
    """
    path = Path(path)
    report = progress or (lambda percent: None)
    file_format, csv_bytes = _detect(path, filename)
    report(5)
    grid = _read_grid(path, file_format, sheet, None, mapping, csv_bytes, header_row)
    report(40)
    header = _header_and_mapping(grid, mapping, header_row=header_row)
    require_fields(header.mapping)
    result = _validate(grid, header.index, header.headers, header.mapping)
    result.file_format = file_format
    result.confidence = header.confidence
    report(100)
    return result


def missing_fields(mapping: Mapping[str, str]) -> list[str]:
    """The required fields a mapping lacks, as the user reads them (DESIGN §5: date, vendor, two of three numbers)."""
    missing = [FIELD_LABELS[name] for name in ("purchase_date", "vendor_name") if name not in mapping]
    if sum(1 for name in NUMBER_FIELDS if name in mapping) < 2:
        missing.append("two of quantity, unit price and extended amount")
    return missing


def require_fields(mapping: Mapping[str, str]) -> None:
    """IngestError naming the required fields the mapping lacks."""
    missing = missing_fields(mapping)
    if missing:
        raise IngestError(f"No column found for {' and '.join(missing)}: choose them in the column mapping.")
