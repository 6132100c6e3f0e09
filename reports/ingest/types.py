"""What ingestion answers and refuses with, and the limits it reads (DESIGN.md section 5)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("vendor_name", "sku", "mfr_part_number", "description", "uom", "invoice_number", "po_number")

HEADER_SCAN_ROWS = 30
BLANK_RUN_LIMIT = 10_000
SAMPLE_ROWS = 50  # values under each header that confirm or refute its guessed field
CSV_SAMPLE_CHARS = 64 * 1024
PREVIEW_BYTES = 4 * 1024 * 1024  # of a csv file, for a preview of its first rows
ZIP_READ_CHUNK = 1024 * 1024


class IngestError(Exception):
    """The file as a whole cannot be read (type, encryption, size caps, no header); the message says why."""


PASSWORD_MESSAGE = (
    "The file is password-protected (encrypted), so it cannot be read: open it, save a copy without a password "
    "(File > Info > Protect, or Save As > Tools > General Options) and upload that."
)
DAMAGED_MESSAGE = (
    "The workbook could not be read: it looks damaged or is not a spreadsheet the reader understands. Open it in "
    "Excel or LibreOffice, save it again as .xlsx (or .csv) and upload that."
)


@dataclass(frozen=True)
class RowError:
    """A rejected data row: its number as the spreadsheet shows it (csv: the line), the column and a plain reason."""

    row: int
    column: str
    reason: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    """The first rows of a file with the detected (or given) column mapping, for the user to confirm.

    `header_found` is False when no row named two fields: `header_row` is then the first row with anything in it,
    shown so that the user can choose the header row among `top_rows` ((row number, cells) above and around it).
    """

    file_format: str
    sheet_names: list[str]
    sheet_name: str
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    sample_rows: list[list[str]]
    header_signature: str
    confidence: dict[str, str] = field(default_factory=dict)
    header_found: bool = True
    top_rows: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class IngestResult:
    """Every data row of a file, accepted (as `lines`) or rejected (as `errors`), with the totals of DESIGN §5."""

    file_format: str
    sheet_name: str
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    lines: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    confidence: dict[str, str] = field(default_factory=dict)
    rows_skipped: int = 0
    rows_total: int = 0
    file_total: Decimal = Decimal("0.00")
    accepted_total: Decimal = Decimal("0.00")


@dataclass
class _Grid:
    """Cells as Arrow string columns ("" when blank) with the row number the user sees for each grid row."""

    sheet_names: list[str]
    sheet_name: str
    columns: list[pa.Array]
    row_numbers: np.ndarray
    unusable_cells: dict[tuple[int, int], str]  # (shown row number, column position) -> what is wrong

    @property
    def height(self) -> int:
        return len(self.row_numbers)

    def rows(self, start: int, stop: int) -> list[list[str]]:
        """Rows [start, stop) as lists of cell text."""
        stop = min(stop, self.height)
        if start >= stop:
            return []
        sliced = [column.slice(start, stop - start).to_pylist() for column in self.columns]
        return [list(row) for row in zip(*sliced, strict=True)]
