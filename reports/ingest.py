"""Purchase file ingestion: any finance spreadsheet to validated purchase lines (DESIGN.md section 5).

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

import codecs
import contextlib
import csv
import hashlib
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from gpo.money import cents, unit_price
from reports import columns
from reports.columns import FIELD_LABELS, FIELDS, NUMBER_FIELDS, normalize_header

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


# --------------------------------------------------------------------------------------------------------------
# File type by content (SECURITY.md items 2 and 3)


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_LOOKS_LIKE = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"BM", "a BMP image"),
)


def _setting(name: str, default: int) -> int:
    try:
        from django.conf import settings

        return int(getattr(settings, name, default))
    except Exception:  # settings not configured (pure use outside Django)
        return default


_EXTENSION_FAMILY = {
    ".xlsx": "ooxml",
    ".xlsm": "ooxml",
    ".xlsb": "xlsb",
    ".xls": "xls",
    ".ods": "ods",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
}
_FORMAT_FAMILY = {"xlsx": "ooxml", "xlsm": "ooxml", "xlsb": "xlsb", "xls": "xls", "ods": "ods", "csv": "csv"}
ZIP_FORMATS = frozenset({"xlsx", "xlsm", "xlsb", "ods"})
_FORMAT_NAMES = {
    "xlsx": "an Excel workbook (.xlsx)",
    "xlsm": "a macro-enabled Excel workbook (.xlsm)",
    "xlsb": "an Excel binary workbook (.xlsb)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "csv": "a csv text file",
}


def detect_format(path: Path, *, filename: str | None = None) -> str:
    """The file's type by its content: "xlsx", "xlsm", "xls", "ods" or "csv"; IngestError naming what it is else.

    A known spreadsheet extension (of `filename`, else of `path`) that disagrees with the content is refused too:
    an .xls renamed .xlsx is a mistake to point out, not a file to guess about (SECURITY.md item 2).
    """
    return _detect(Path(path), filename)[0]


@dataclass(frozen=True)
class _CsvBytes:
    """A csv file's bytes, read once, with the encoding detection found for them."""

    data: bytes
    encoding: str


def _detect(path: Path, filename: str | None) -> tuple[str, _CsvBytes | None]:
    """detect_format, with the bytes of a csv file kept so that reading it does not load and check them again."""
    file_format, csv_bytes = _detect_by_content(path)
    extension = Path(filename if filename is not None else path.name).suffix.lower()
    expected = _EXTENSION_FAMILY.get(extension)
    if expected is not None and expected != _FORMAT_FAMILY[file_format]:
        raise IngestError(
            f"The file is named {extension} but its content is {_FORMAT_NAMES[file_format]}: "
            f"save it again as {extension} or rename it."
        )
    return file_format, csv_bytes


def _detect_by_content(path: Path) -> tuple[str, _CsvBytes | None]:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE2_MAGIC):
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
            raise IngestError(PASSWORD_MESSAGE)
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return "xls", None
        raise IngestError("The file is an Office document that is not an Excel workbook (OLE2 without a Workbook).")
    if head.startswith(b"PK"):
        return _detect_zip_format(path), None
    for magic, what in _LOOKS_LIKE:
        if head.startswith(magic):
            raise IngestError(f"The file looks like {what}, not a spreadsheet (xlsx, xlsm, xlsb, xls, ods or csv).")
    data = _text_bytes_normalised(path.read_bytes())
    encoding = _text_encoding(data)
    _check_line_lengths(data)
    return "csv", _CsvBytes(data, encoding)


def _text_bytes_normalised(data: bytes) -> bytes:
    """A text file's bytes as the csv reader takes them: Excel's "Unicode Text" (UTF-16 with a byte-order mark) as
    UTF-8, and the CR-only line ends of Excel's "CSV (Macintosh)" as LF (each CR stays one line of the file)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError("The file starts as UTF-16 text (Unicode Text) but contains invalid bytes.") from exc
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")
    return data


# --------------------------------------------------------------------------------------------------------------
# Caps checked before the work (SECURITY.md items 3 and 7): each refuses with the line, column or part and the reason.


def _column_cap() -> int:
    return _setting("UPLOAD_MAX_COLUMNS", 200)


def _row_byte_cap() -> int:
    return _setting("UPLOAD_MAX_ROW_BYTES", 256 * 1024)


LINE_SCAN_CHUNK = 16 * 1024 * 1024


def _check_line_lengths(data: bytes) -> None:
    """Refuse a text file with a line longer than UPLOAD_MAX_ROW_BYTES, naming the first, before any parsing.

    Runs on the normalised bytes (CR-only line ends already LF), in chunks: one vectorised scan, bounded memory.
    """
    limit = _row_byte_cap()
    # A line longer than the limit holds a whole aligned window of half the limit without a line break: when every
    # window has one (memchr finds it within a line's length), no line is too long and nothing else is scanned.
    window = max(1, limit // 2)
    if all(data.find(b"\n", start, start + window) >= 0 for start in range(0, len(data) - window + 1, window)):
        return
    view = np.frombuffer(data, dtype=np.uint8)
    previous_end, lines_before = -1, 0  # position of the last line break seen, lines ended so far
    for start in range(0, len(view), LINE_SCAN_CHUNK):
        ends = np.flatnonzero(view[start : start + LINE_SCAN_CHUNK] == 10) + start
        lengths = np.diff(np.concatenate(([previous_end], ends))) - 1
        too_long = np.flatnonzero(lengths > limit)
        if len(too_long):
            index = int(too_long[0])
            _refuse_line_length(lines_before + index + 1, int(lengths[index]), limit)
        if len(ends):
            previous_end, lines_before = int(ends[-1]), lines_before + len(ends)
    if len(view) - previous_end - 1 > limit:
        _refuse_line_length(lines_before + 1, len(view) - previous_end - 1, limit)


def _refuse_line_length(line: int, length: int, limit: int) -> None:
    raise IngestError(
        f"Line {line:,} is {length:,} bytes long (at most {limit:,} allowed): that is not a purchase row. "
        "Check that the file is the export you meant, or split the long cell."
    )


def _check_line_width(line: int, width: int) -> None:
    """Refuse a csv line with more cells than UPLOAD_MAX_COLUMNS, naming it."""
    limit = _column_cap()
    if width > limit:
        raise IngestError(
            f"Line {line:,} has {width:,} columns (at most {limit:,} allowed): delete the empty or extra columns "
            "and upload the file again."
        )


def _check_head_widths(csv_bytes: _CsvBytes, delimiter: str, lines: int) -> None:
    """The column cap on the first `lines` lines (title rows and the header), before any reader parses the file.

    Each line is parsed alone, whole (the line cap bounds it): a line break inside a quoted title cell can only make
    a line look narrower, never refuse a good file.
    """
    data, offset = csv_bytes.data, 0
    if data.startswith(codecs.BOM_UTF8):
        offset = len(codecs.BOM_UTF8)
    encoding = "cp1252" if csv_bytes.encoding == "cp1252" else "utf-8"
    for line in range(1, lines + 1):
        if offset >= len(data):
            return
        end = data.find(b"\n", offset)
        end = len(data) if end < 0 else end
        text = data[offset:end].decode(encoding, errors="replace")
        try:
            width = len(next(csv.reader([text], delimiter=delimiter), []))
        except csv.Error:
            width = text.count(delimiter) + 1
        _check_line_width(line, width)
        offset = end + 1


def _package_format(content_type: str) -> str | None:
    """The spreadsheet format a workbook part's content type names (Excel's own and the usual variants), else None."""
    kind = content_type.lower()
    if "spreadsheetml" not in kind and "ms-excel" not in kind:
        return None
    if kind.endswith("binary.macroenabled.main"):
        return "xlsb"
    if kind.endswith("macroenabled.main+xml"):
        return "xlsm"
    if kind.endswith(("sheet.main+xml", "template.main+xml")):
        return "xlsx"
    return None


_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b([^>]*)>")
_ATTRIBUTE = re.compile(rb'(\w+)\s*=\s*"([^"]*)"')


def _zip_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each member's name with "/" separators (some writers use "\\") -> its name in the archive."""
    return {name.replace("\\", "/"): name for name in archive.namelist()}


def _workbook_part(archive: zipfile.ZipFile, names: dict[str, str]) -> tuple[str, str] | None:
    """(format, part name) of a spreadsheet package's workbook, from [Content_Types].xml; None when it has none."""
    if "[Content_Types].xml" not in names:
        return None
    for match in _OVERRIDE.finditer(archive.read(names["[Content_Types].xml"])):
        pairs = _ATTRIBUTE.findall(match.group(1))
        attributes = {key.decode(): value.decode("utf-8", "replace") for key, value in pairs}
        found = _package_format(attributes.get("ContentType", ""))
        part = attributes.get("PartName", "").lstrip("/")
        if found and part in names:
            return found, part
    for part, found in (("xl/workbook.xml", "xlsx"), ("xl/workbook.bin", "xlsb")):
        if part in names:
            return found, part
    return None


def _detect_zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = _zip_names(archive)
            if "mimetype" in names and archive.read(names["mimetype"]).strip() == _ODS_MIMETYPE:
                manifest = names.get("META-INF/manifest.xml")
                if manifest is not None and b"encryption-data" in archive.read(manifest):
                    raise IngestError(PASSWORD_MESSAGE)
                return "ods"
            workbook = _workbook_part(archive, names)
            if workbook is not None:
                return workbook[0]
            if "word/document.xml" in names:
                raise IngestError("The file looks like a Word document, not a spreadsheet.")
            if "ppt/presentation.xml" in names:
                raise IngestError("The file looks like a PowerPoint presentation, not a spreadsheet.")
            if "mimetype" in names:
                raise IngestError("The file is an OpenDocument file that is not a spreadsheet.")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise IngestError(DAMAGED_MESSAGE) from exc
    raise IngestError("The file looks like a zip archive, not a spreadsheet (xlsx, xlsm, xlsb, xls, ods or csv).")


def _text_encoding(data: bytes) -> str:
    """A csv file's encoding: "utf-8-sig" (BOM), "utf-8", else "cp1252"; IngestError for binary or undecodable data.

    The whole file is checked, but an ASCII file (the usual export) is known to be UTF-8 without decoding it.
    """
    if b"\x00" in data:
        raise IngestError("The file contains binary data (NUL bytes): it is not a csv text file.")
    if data.startswith(codecs.BOM_UTF8):
        if not data[len(codecs.BOM_UTF8) :].isascii():
            try:
                data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise IngestError("The file starts as UTF-8 text but contains invalid bytes.") from exc
        return "utf-8-sig"
    if data.isascii():
        return "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise IngestError("The file is not text in UTF-8 or Windows-1252: it is not a readable csv file.") from exc
    return "cp1252"


def _text_prefix(csv_bytes: _CsvBytes, chars: int) -> str:
    """The first `chars` characters of the decoded file (a character takes at most 4 bytes in UTF-8, 1 in cp1252)."""
    data = csv_bytes.data
    if csv_bytes.encoding == "cp1252":
        return data[:chars].decode("cp1252")
    # The incremental decoder leaves out a character cut in two at the end of the slice instead of failing on it.
    return codecs.getincrementaldecoder(csv_bytes.encoding)().decode(data[: 4 * chars + 3], final=False)[:chars]


def check_zip_container(path: Path) -> None:
    """SECURITY.md item 3: refuse zip bombs from the central directory, then cap the bytes actually inflated."""
    _inflate_checked(path, scan_formulas=False)


@dataclass
class _SheetExtent:
    """How far a worksheet part's cells reach (1-based), read from its XML before the reader sizes a grid.

    Only the bytes with a reference beyond column Z or row 99,999 are parsed: below both, at most 2.6 million cells,
    so the usual file pays a few fast searches and counts per chunk. Cells and rows may also go without a reference
    (the reader then places them one after the other): when a chunk's elements outnumber its references, each row's
    cells are counted there.
    """

    rows: int = 0
    columns: int = 0
    column_letters: str = ""
    row_elements: int = 0  # rows met so far, for rows without a reference

    def take(self, data: bytes, *, seen: int) -> None:
        """Widen to the cells in `data`, whose first `seen` bytes ended the previous chunk (counted there)."""
        head = data[:seen]

        def count(needle: bytes) -> int:  # occurrences ending after the seen bytes: each counted once overall
            return data.count(needle) - head.count(needle)

        self.row_elements += count(b"<row")
        if _FAR_CELL.search(data):
            for letters in set(_CELL_LETTERS.findall(data)):
                self._widen(_column_position(letters.decode()) + 1)
            self.rows = max([self.rows, *(int(digits) for digits in set(_CELL_ROW.findall(data)))])
        # Every cell written the usual way starts '<c r="': other elements starting "<c" (cells without a reference,
        # or with it elsewhere; <col>, <cfRule>) tip the balance and the rows of this chunk are counted cell by cell.
        # Nothing can mask a cell without a reference: only a cell adds to '<c r="'. A chunk's edge can cut one
        # element between "<c" and its reference: a few are let go (the reader's width check still follows).
        if count(b"<c") - count(b'<c r="') > 2:
            pieces = data[seen:].split(b"<row")
            self._widen(max(piece.count(b"<c ") + piece.count(b"<c>") + piece.count(b"<c/>") for piece in pieces))
            self.rows = max(self.rows, self.row_elements)

    def _widen(self, columns: int) -> None:
        if columns > self.columns:
            self.columns, self.column_letters = columns, _column_letters(columns)


# A cell reference beyond column Z or row 99,999, in any attribute order or quoting (only cells have letters in r).
_FAR_CELL = re.compile(rb"""(?:r="|r=')(?:[A-Z]{2}|[A-Z][0-9]{6})""")
_CELL_LETTERS = re.compile(rb"""(?:r="|r=')([A-Z]+)[0-9]""")
_CELL_ROW = re.compile(rb"""(?:r="|r=')[A-Z]+([0-9]+)""")


def _check_sheet_extent(extent: _SheetExtent | None, sheet_name: str) -> None:
    """Refuse a sheet whose cell references reach past the column cap or span more than UPLOAD_MAX_CELLS cells.

    The reader allocates a grid from the first to the farthest cell: one stray cell at XFD1048576 asks it for 512 GiB
    and aborts the process. Checked on the chosen sheet only, before the reader loads it.
    """
    if extent is None:
        return
    max_columns = _column_cap()
    if extent.columns > max_columns:
        raise IngestError(
            f"The sheet {sheet_name} has a cell in column {extent.column_letters} (column {extent.columns:,}; at "
            f"most {max_columns:,} allowed): delete the columns right of the data, save the file again and upload it."
        )
    budget = _setting("UPLOAD_MAX_CELLS", 20_000_000)
    cells = extent.rows * max(extent.columns, 1)
    if cells > budget:
        raise IngestError(
            f"The sheet {sheet_name} reaches row {extent.rows:,} and column {extent.column_letters or 'A'}: "
            f"{cells:,} cells to read (at most {budget:,} allowed). Delete the rows below the data, save the file "
            "again and upload it."
        )


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


@dataclass
class _OdsCursor:
    """Where the expat pass over an ods content.xml stands: rows so far in the table, the row's and cell's repeats."""

    extent: _SheetExtent = field(default_factory=_SheetExtent)
    name: str = ""
    rows: int = 0
    row_repeat: int = 1
    column: int = 0
    last_valued: int = 0
    cell_repeat: int = 0  # 0 outside a cell
    valued: bool = False


def _repeat(attributes: dict[str, str], name: str) -> int:
    text = attributes.get(f"{_ODS_TABLE}{name}", "1")
    return int(text) if text.isdigit() else 1


def _ods_extents(path: Path) -> dict[str, _SheetExtent]:
    """Each table's extent in an ods content.xml, repeats counted (not expanded), by one streaming expat pass.

    A row or cell can say "repeated 1,000,000 times": the reader expands those that hold a value into a grid (a 4 KB
    file asked it for 2.9 GB). Repeated empty rows and cells (LibreOffice's padding) do not extend a table. No DTD
    is accepted (SECURITY.md item 4).
    """
    from xml.parsers import expat

    extents: dict[str, _SheetExtent] = {}
    at = _OdsCursor()
    cells = (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell")

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag == f"{_ODS_TABLE}table":
            at.extent, at.name, at.rows = _SheetExtent(), attributes.get(f"{_ODS_TABLE}name", ""), 0
        elif tag == f"{_ODS_TABLE}table-row":
            at.row_repeat, at.column, at.last_valued = _repeat(attributes, "number-rows-repeated"), 0, 0
        elif tag in cells:
            at.cell_repeat = _repeat(attributes, "number-columns-repeated")
            at.valued = f"{_ODS_OFFICE}value-type" in attributes
        elif at.cell_repeat:
            at.valued = True  # a paragraph (or anything) inside a cell

    def end(tag: str) -> None:
        if tag in cells:
            at.column += at.cell_repeat
            if at.valued:
                at.last_valued = at.column
            at.cell_repeat, at.valued = 0, False
        elif tag == f"{_ODS_TABLE}table-row":
            at.rows += at.row_repeat
            if at.last_valued:
                at.extent.rows = at.rows
                if at.last_valued > at.extent.columns:
                    at.extent.columns, at.extent.column_letters = at.last_valued, _column_letters(at.last_valued)
        elif tag == f"{_ODS_TABLE}table":
            extents[at.name] = at.extent

    def no_dtd(*args: Any) -> None:
        raise IngestError("The spreadsheet's content declares a DTD: refused (XML entity attacks).")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = no_dtd
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            while chunk := content.read(ZIP_READ_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (KeyError, expat.ExpatError, zipfile.BadZipFile, OSError) as exc:
        raise IngestError(DAMAGED_MESSAGE) from exc
    return extents


def _column_letters(position: int) -> str:
    """A 1-based column position as the spreadsheet's letters (28 -> "AB")."""
    letters = ""
    while position > 0:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass
class _PackageScan:
    """What the zip-bomb pass read on the way: per worksheet part, its cells without a usable value and its extent."""

    formulas: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    extents: dict[str, _SheetExtent] = field(default_factory=dict)


def _inflate_checked(path: Path, *, scan_formulas: bool) -> _PackageScan:
    """Zip-bomb checks in one streaming pass; with scan_formulas, each worksheet's formula cells without a saved
    value and its extent.

    One pass serves all: inflating the parts is the expensive bit, and the scans need the same bytes.
    """
    scan = _PackageScan()
    formulas = scan.formulas
    max_entries = _setting("UPLOAD_MAX_ZIP_ENTRIES", 1000)
    budget = _setting("UPLOAD_MAX_UNZIPPED_BYTES", 500 * 1024 * 1024)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > max_entries:
                raise IngestError(f"The workbook has {len(infos):,} parts (at most {max_entries:,} allowed).")
            declared = sum(info.file_size for info in infos)
            if declared > budget:
                raise IngestError(
                    f"The workbook unpacks to {declared:,} bytes (at most {budget:,} allowed): refused as a zip bomb."
                )
            packed_limit = path.stat().st_size
            for info in infos:
                _check_part_ratio(info, info.file_size, packed_limit)
            # Declared sizes can lie: inflate every part in chunks (zipfile stops at the declared size and checks the
            # CRC, so a lying entry fails) and count what really comes out.
            inflated = 0
            for info in infos:
                is_sheet = scan_formulas and info.filename.startswith("xl/worksheets/")
                found: dict[tuple[int, int], str] = {}
                extent = _SheetExtent()
                tail = b""
                part_inflated = 0
                with archive.open(info) as part:
                    while chunk := part.read(ZIP_READ_CHUNK):
                        inflated += len(chunk)
                        part_inflated += len(chunk)
                        _check_part_ratio(info, part_inflated, packed_limit)
                        if inflated > budget:
                            raise IngestError(
                                f"The workbook unpacks to more than {budget:,} bytes: refused as a zip bomb."
                            )
                        if is_sheet:
                            seam = tail[-32:]
                            extent.take(seam + chunk, seen=len(seam))
                            if b"<f" in chunk or b"<f" in tail[-1:] + chunk[:1]:
                                # Re-scan the seam between chunks: a cell's markup is far shorter than the tail.
                                for match in _CELL_FORMULA_NO_VALUE.finditer(tail + chunk):
                                    cell = (int(match.group(2)), _column_position(match.group(1).decode()))
                                    found[cell] = "a formula with no saved value"
                            if b't="e"' in tail[-8:] + chunk:
                                for match in _CELL_ERROR.finditer(tail + chunk):
                                    cell = (int(match.group(2)), _column_position(match.group(1).decode()))
                                    found[cell] = f"an error value ({match.group(3).decode(errors='replace')})"
                            tail = chunk[-4096:]
                if found:
                    formulas[info.filename] = found
                if is_sheet:
                    scan.extents[info.filename] = extent
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise IngestError(DAMAGED_MESSAGE) from exc
    return scan


ZIP_RATIO_FLOOR = 4 * 1024 * 1024  # a part that unpacks to less is not judged by its ratio


def _check_part_ratio(info: zipfile.ZipInfo, inflated: int, packed_limit: int) -> None:
    """Refuse a zip part that unpacks to more than UPLOAD_MAX_ZIP_RATIO times its packed size (SECURITY.md item 3).

    Checked on the declared sizes before anything is inflated and again on the bytes inflated so far (a packed size
    declared larger than the file is taken as the file's size). Real workbooks pack 2:1 to 20:1 (the VA FSS sheet
    8.4:1, 200,000 identical rows 11:1 to 15:1); a sheet padded with empty rows reaches several hundred.
    """
    cap = _setting("UPLOAD_MAX_ZIP_RATIO", 100)
    packed = max(1, min(info.compress_size, packed_limit))
    if inflated > ZIP_RATIO_FLOOR and inflated > cap * packed:
        raise IngestError(
            f"The workbook's part {info.filename} unpacks to {inflated // packed:,} times its packed size "
            f"({packed:,} bytes; at most {cap:,} times allowed): refused as a zip bomb. Real workbooks pack about "
            "5 to 20 times. If the file is genuine, delete the empty rows and columns below and right of the data, "
            "save it again and upload that."
        )


# --------------------------------------------------------------------------------------------------------------
# Reading a grid of text cells (Arrow string columns, "" where blank)


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


def _text_column(values: Any) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return pc.fill_null(array, "") if array.null_count else array


def _read_grid(
    path: Path,
    file_format: str,
    sheet: str | None,
    n_rows: int | None,
    mapping: Mapping[str, str | None] | None,
    csv_bytes: _CsvBytes | None,
    header_row: int | None = None,
) -> _Grid:
    if file_format == "csv":
        assert csv_bytes is not None  # _detect keeps a csv file's bytes
        return _read_csv_grid(csv_bytes, n_rows, mapping, header_row)
    return _read_workbook_grid(path, file_format, sheet, n_rows)


def _max_rows() -> int:
    return _setting("UPLOAD_MAX_ROWS", 2_000_000)


def _read_workbook_grid(path: Path, file_format: str, sheet: str | None, n_rows: int | None) -> _Grid:
    scan = _PackageScan()
    if file_format in ZIP_FORMATS:
        # SECURITY.md item 3 before the reader inflates anything, in the same pass as the formula and extent scans.
        scan = _inflate_checked(path, scan_formulas=file_format in {"xlsx", "xlsm"})
    if file_format == "ods":
        # The reader expands every table of an ods as it opens the file: all of them are checked first.
        for name, extent in _ods_extents(path).items():
            _check_sheet_extent(extent, name)
    with _standard_package(path, file_format) as readable:
        if readable != path and file_format in {"xlsx", "xlsm"}:
            scan = _inflate_checked(readable, scan_formulas=True)  # the parts under their standard names

        def before_load(name: str) -> None:
            if scan.extents:
                _check_sheet_extent(scan.extents.get(_sheet_part(readable, name) or ""), name)

        sheet_names, sheet_name, batch = _read_sheet(readable, sheet, n_rows, before_load)
        columns = [_text_column(column) for column in batch.columns]
        part = _sheet_part(readable, sheet_name) if scan.formulas else None
        formulas = scan.formulas.get(part or "", {})
    return _Grid(sheet_names, sheet_name, columns, np.arange(1, batch.num_rows + 1, dtype=np.int64), formulas)


def _read_sheet(
    path: Path, sheet: str | None, n_rows: int | None, before_load: Callable[[str], None] = lambda name: None
) -> tuple[list[str], str, pa.RecordBatch]:
    """The chosen (else first) sheet through calamine, every cell as text; a reader failure as a plain IngestError.

    `before_load` gets the sheet's name once chosen, before calamine reads it (the guards that act before the work).

    calamine is Rust: a malformed file can make it panic, and pyo3 raises the panic as a BaseException
    (PanicException). It is caught here, around the reader only, like any other error the reader raises.
    """
    import fastexcel

    max_rows = _max_rows() + HEADER_SCAN_ROWS + BLANK_RUN_LIMIT
    try:
        reader = fastexcel.read_excel(str(path))
        sheet_names = list(reader.sheet_names)
        if sheet is not None and sheet not in sheet_names:
            raise IngestError(f"The workbook has no sheet named {sheet!r} (sheets: {', '.join(sheet_names)}).")
        if not sheet_names:
            raise IngestError("The workbook has no sheet.")
        sheet_name = sheet if sheet is not None else sheet_names[0]
        before_load(sheet_name)
        limit = max_rows + 1 if n_rows is None else n_rows
        # skip_rows=0 keeps leading blank rows, so position i is spreadsheet row i + 1; every column read as text.
        loaded = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string", n_rows=limit)
        _check_width(loaded.width)
        batch = loaded.to_arrow()
    except IngestError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # Exception, or a Rust panic (pyo3's PanicException is a BaseException)
        raise _reader_failure(exc) from exc
    if n_rows is None and batch.num_rows > max_rows:
        raise IngestError(f"The sheet has more than {_max_rows():,} rows (the limit).")
    return sheet_names, sheet_name, batch


def _reader_failure(exc: BaseException) -> IngestError:
    """What to tell the user when the spreadsheet reader fails: its own words hold paths and internals (logged)."""
    logger.info("spreadsheet reader failed: %s: %s", type(exc).__name__, exc)
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return IngestError(PASSWORD_MESSAGE)
    return IngestError(DAMAGED_MESSAGE)


@contextlib.contextmanager
def _standard_package(path: Path, file_format: str) -> Iterator[Path]:
    """An Office Open XML package as calamine and the formula scan expect it: "/" in part names and the workbook
    under xl/. Valid packages may differ (backslashes in names; the workbook elsewhere, named by the content
    types): those are repackaged into a temporary file, their parts unchanged but renamed."""
    if file_format not in {"xlsx", "xlsm", "xlsb"}:
        yield path
        return
    try:
        with zipfile.ZipFile(path) as archive:
            names = _zip_names(archive)
            found = _workbook_part(archive, names)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(DAMAGED_MESSAGE) from exc
    folder = found[1].rpartition("/")[0] if found else "xl"
    if folder == "xl" and all(name == original for name, original in names.items()):
        yield path
        return
    handle, temporary = tempfile.mkstemp(prefix="gpo-package-", suffix=f".{file_format}")
    os.close(handle)
    try:
        _repackage(path, Path(temporary), names, folder)
        yield Path(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)


_PACKAGE_PARTS = ("[Content_Types].xml", "_rels/.rels")


def _repackage(source: Path, target: Path, names: dict[str, str], folder: str) -> None:
    """Copy a package with "/" names and the workbook's folder renamed xl/ (references to moved parts follow)."""

    def moved(name: str) -> str:
        if folder == "xl" or name in _PACKAGE_PARTS or name.startswith("docProps/"):
            return name
        if not folder:
            return f"xl/{name}"
        return f"xl/{name[len(folder) + 1 :]}" if name.startswith(f"{folder}/") else name

    def renamed(match: re.Match[bytes]) -> bytes:
        value = match.group(2).decode("utf-8", "replace")
        slash = "/" if value.startswith("/") else ""
        return match.group(1) + (slash + moved(value.lstrip("/"))).encode() + b'"'

    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, original in names.items():
            data = archive.read(original)
            if name in _PACKAGE_PARTS:
                data = re.sub(rb'((?:PartName|Target)=")([^"]*)"', renamed, data)
            out.writestr(moved(name), data)


def _check_width(width: int) -> None:
    max_columns = _column_cap()
    if width > max_columns:
        raise IngestError(f"The sheet has {width:,} columns (at most {max_columns:,} allowed).")


_CELL_ERROR = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*\bt="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>'
)
_CELL_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)
_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_RELATIONSHIP = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_RELATIONSHIP_REVERSED = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def _sheet_part(path: Path, sheet_name: str) -> str | None:
    """The zip part holding a sheet of a standard xlsx/xlsm package (workbook under xl/), by the sheet's name."""
    import html

    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")
            rels = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    targets = dict(_RELATIONSHIP.findall(rels))
    targets.update({rid: target for target, rid in _RELATIONSHIP_REVERSED.findall(rels)})
    for name, rid in _SHEET_ENTRY.findall(workbook):
        if html.unescape(name.decode("utf-8")) == sheet_name and rid in targets:
            target = targets[rid].decode("utf-8")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _column_position(letters: str) -> int:
    position = 0
    for letter in letters:
        position = position * 26 + (ord(letter) - ord("A") + 1)
    return position - 1


def _read_csv_grid(
    csv_bytes: _CsvBytes, n_rows: int | None, mapping: Mapping[str, str | None] | None, header_row: int | None
) -> _Grid:
    if n_rows is not None and len(csv_bytes.data) > PREVIEW_BYTES:
        # A preview needs the first rows only: read the start of the file, cut after its last whole line.
        head = csv_bytes.data[:PREVIEW_BYTES]
        csv_bytes = _CsvBytes(head[: head.rfind(b"\n") + 1] or head, csv_bytes.encoding)
    encoding = csv_bytes.encoding
    sample = _text_prefix(csv_bytes, CSV_SAMPLE_CHARS)
    delimiter = _sniff_delimiter(sample)
    _check_head_widths(csv_bytes, delimiter, (header_row or 0) + HEADER_SCAN_ROWS)
    # Title rows may be ragged: find the header among the first records with the csv module (physical lines).
    records: list[list[str]] = []
    first_lines: list[int] = []
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    line = 1
    try:
        for record in reader:
            first_lines.append(line)
            records.append(record)
            line = reader.line_num + 1
            if len(records) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass
    if not records:
        raise IngestError("The file is empty: no header row found.")
    header_line = _csv_header_line(records, first_lines, mapping, header_row)
    max_rows = _max_rows() + BLANK_RUN_LIMIT
    limit = max_rows + 2 if n_rows is None else n_rows
    try:
        # Arrow's multi-threaded reader, every column as text ("" for empty cells, blank lines as rows of "").
        table = pa_csv.read_csv(
            pa.BufferReader(csv_bytes.data),
            read_options=pa_csv.ReadOptions(
                skip_rows=header_line - 1,
                autogenerate_column_names=True,
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
                block_size=8 * 1024 * 1024,
            ),
            # A line break can only sit inside a quoted cell; without any quote Arrow may split the file anywhere.
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=b'"' in csv_bytes.data, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(_column_cap() + 1)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        _check_width(table.num_columns)
        columns = [_text_column(column) for column in table.slice(0, limit).columns]
        height = len(columns[0]) if columns else 0
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise IngestError("The file is empty.") from exc
        # Ragged rows after the header: the csv module copes (slower, only for odd files).
        rows = _ragged_csv_rows(csv_bytes, delimiter, header_line, limit)
        width = max((len(row) for row in rows), default=0)
        columns = [pa.array([row[i] if i < len(row) else "" for row in rows], type=pa.string()) for i in range(width)]
        height = len(rows)
    if n_rows is None and height > max_rows:
        raise IngestError(f"The file has more than {_max_rows():,} rows (the limit).")
    # Physical line numbers: a quoted cell spanning lines pushes every later row down.
    extra_lines = np.zeros(height, dtype=np.int64)
    for column in columns:
        # A cheap look at the column's whole character buffer first: most columns never hold a line break.
        if _may_hold(column, b"\n") and _any(pc.match_substring(column, "\n")):
            extra_lines += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
    before = np.concatenate(([0], np.cumsum(extra_lines)[:-1])) if height else extra_lines
    row_numbers = header_line + np.arange(height, dtype=np.int64) + before
    return _Grid([], "", columns, row_numbers.astype(np.int64), {})


def _ragged_csv_rows(csv_bytes: _CsvBytes, delimiter: str, header_line: int, limit: int) -> list[list[str]]:
    """Up to `limit` records from physical line `header_line` on, through the csv module, each checked as it comes:
    a line wider than the column cap is refused by its number before any later line is read."""
    reader = csv.reader(io.StringIO(csv_bytes.data.decode(csv_bytes.encoding)), delimiter=delimiter)
    rows: list[list[str]] = []
    line = 1  # the physical line the next record starts on
    try:
        for record in reader:
            if line >= header_line:
                _check_line_width(line, len(record))
                rows.append(record)
                if len(rows) >= limit:
                    break
            line = reader.line_num + 1
    except csv.Error as exc:
        reason = "a cell is too long" if "field limit" in str(exc) else "its quotes do not balance"
        raise IngestError(f"Line {line:,} cannot be read as csv: {reason}.") from exc
    return rows


def _csv_header_line(
    records: list[list[str]],
    first_lines: list[int],
    mapping: Mapping[str, str | None] | None,
    header_row: int | None,
) -> int:
    """The line the csv grid starts at: the given header row, the detected one, else the first filled line."""
    if header_row is not None:
        if header_row not in first_lines:
            raise IngestError(f"Line {header_row} is not one of the first lines of the file: choose the header again.")
        return header_row
    rows = [[cell.strip() for cell in record] for record in records]
    index = _find_header_index(rows, mapping)
    return first_lines[index if index is not None else _first_filled_index(rows)]


def _characters(column: pa.Array) -> bytes:
    """A string column's cells run together, as bytes (a copy of its part of the character buffer)."""
    if column.type != pa.string():
        column = column.cast(pa.string())  # 32-bit offsets below
    characters = column.buffers()[2]
    if characters is None or not len(column):
        return b""
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32, count=len(column) + 1, offset=4 * column.offset)
    return characters.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()


def _may_hold(column: pa.Array, needle: bytes) -> bool:
    """False when no cell of a string column can contain `needle` (one memchr-speed scan of its characters)."""
    return needle in _characters(column)


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {delimiter: sum(line.count(delimiter) for line in lines) for delimiter in (",", ";", "\t", "|")}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","


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


# --------------------------------------------------------------------------------------------------------------
# Values: numbers and dates, vectorised with Arrow compute kernels (RE2 regexes run in C++)


def _mask(array: Any) -> np.ndarray:
    """An Arrow boolean array as a numpy bool array (nulls -> False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _trimmed(array: pa.Array) -> pa.Array:
    # Unicode-aware: non-breaking and figure spaces are trimmed too (SECURITY.md item 8).
    return pc.utf8_trim_whitespace(array) if _edges_may_be_space(array) else array


def _edges_may_be_space(array: pa.Array) -> bool:
    """False when no cell starts or ends with a byte of a space: ASCII whitespace is at most 0x20 and every other
    whitespace character is non-ASCII, so cells whose first and last bytes lie in 0x21-0x7F trim to themselves."""
    if array.null_count or array.type != pa.string():
        return True
    characters = array.buffers()[2]
    if characters is None or not len(array):
        return False
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=4 * array.offset)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.all():
        starts, ends = starts[filled], ends[filled]
    data = np.frombuffer(characters, dtype=np.uint8)
    edges = np.concatenate((data[starts], data[ends - 1]))
    return bool(((edges <= 0x20) | (edges >= 0x80)).any())


def _any(array: Any) -> bool:
    return bool(pc.any(array).as_py())


def _all(array: Any) -> bool:
    return bool(pc.all(array).as_py())


def _has(array: pa.Array, text: str) -> bool:
    """Whether some cell contains `text` (the buffer look-up first: usually no cell can)."""
    return _may_hold(array, text.encode()) and _any(pc.match_substring(array, text))


def _blank(array: pa.Array) -> np.ndarray:
    # Empty or nothing but whitespace: what trims to "" (utf8_is_space uses the same whitespace as the trim, per
    # code point, without building the trimmed strings).
    return _mask(pc.or_(pc.equal(pc.binary_length(array), 0), pc.utf8_is_space(array)))


_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_NUMBER = r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_GROUPED = r"^[-(]?-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?\)?-?$"


@dataclass
class _Numbers:
    scaled: np.ndarray  # int64: value x 10^places rounded half away from zero; 0 where blank, unreadable, too large
    blank: np.ndarray
    readable: np.ndarray
    too_large: np.ndarray  # readable but |value| >= 10^14 once rounded (more than the database columns hold)

    def take(self, positions: np.ndarray) -> _Numbers:
        return _Numbers(
            self.scaled[positions], self.blank[positions], self.readable[positions], self.too_large[positions]
        )


LIMIT_DIGITS = 14  # |quantity|, |unit price|, |extended amount| and |spend| stay below 10^14 (the DB columns)
_POWERS = 10 ** np.arange(19, dtype=np.int64)
_ROUNDING = {2: cents, 4: unit_price}


def _clean_numbers(raw: pa.Array, dollars: bool) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Finance spellings to plain number text: "$1,234.56", "(12.00)", "12.00-", "−12", NBSP; (text, blank, ok).

    `dollars`: whether the column has a "$" anywhere. It decides for every cell whether a sign followed by spaces
    ("- 12") is closed up, so a column split into parts must pass it for the whole column.
    """
    text = _trimmed(raw)
    blank = _mask(pc.equal(pc.utf8_length(text), 0))
    # Each rewrite runs only when some cell needs it: regex rewrites cost far more than the checks.
    if dollars:
        text = pc.replace_substring(text, "$", "")
        if _any(pc.match_substring(text, " ")):
            text = _trimmed(pc.replace_substring_regex(text, r"^([-(]?)\s+", r"\1"))
    if not _all(pc.string_is_ascii(text)):
        text = pc.replace_substring_regex(text, "[\u2212\u2012\u2013\u2014]", "-")
    has_comma = _mask(pc.match_substring(text, ","))
    bad_grouping = np.zeros(len(text), dtype=bool)
    if has_comma.any():
        bad_grouping = has_comma & ~_mask(pc.match_substring_regex(text, _GROUPED))
        text = pc.replace_substring(text, ",", "")
    if _any(pc.starts_with(text, "(")):
        text = pc.replace_substring_regex(text, r"^\(\s*([^()-]*?)\s*\)$", r"-\1")
    if _any(pc.ends_with(text, "-")):
        text = pc.replace_substring_regex(text, r"^([^-].*)-$", r"-\1")
    if _any(pc.starts_with(text, "+")):
        text = pc.replace_substring_regex(text, r"^\+", "")
    readable = _mask(pc.match_substring_regex(text, _NUMBER)) & ~blank & ~bad_grouping
    return text, blank, readable


# The usual shapes: "-1234.5", "1,234.56", "$1,234.56", "-$12"; at most 14 integer digits and `places` decimals. These
# are exact decimals once "$" and "," are dropped, which Arrow casts straight to scaled integers.
_GROUPED_14 = r"[0-9]{1,3}(?:,[0-9]{3}){1,3}|[0-9]{1,2}(?:,[0-9]{3}){4}"
_USUAL_NUMBER = {
    places: rf"^-?\$?(?:[0-9]{{1,{LIMIT_DIGITS}}}|{_GROUPED_14})(?:\.[0-9]{{1,{places}}})?$" for places in (2, 4)
}


def _parse_numbers(raw: pa.Array, places: int) -> _Numbers:
    """Readable numbers of a column scaled to `places` decimals (4: quantity, unit price; 2: amounts, in cents).

    Once per distinct text when the column repeats itself (quantities, prices). Empty cells and the usual shapes take
    two kernels; every other cell goes through _parse_odd_numbers, once per distinct text when those repeat.
    """
    distinct = _few_distinct(raw)
    if distinct is not None:
        # The distinct texts hold a "$" exactly when the column does: _clean_numbers reads each one as in the column.
        return _parse_number_cells(distinct[0], places).take(distinct[1])
    return _parse_number_cells(raw, places)


def _parse_number_cells(raw: pa.Array, places: int) -> _Numbers:
    size = len(raw)
    blank = _mask(pc.equal(pc.binary_length(raw), 0))
    whole = _plain_column_scaled(raw, blank, places)
    if whole is not None:
        return _Numbers(whole, blank, ~blank, np.zeros(size, dtype=bool))
    usual = _mask(pc.match_substring_regex(raw, _USUAL_NUMBER[places]))
    numbers = _Numbers(np.zeros(size, dtype=np.int64), blank, usual.copy(), np.zeros(size, dtype=bool))
    if usual.any():
        numbers.scaled[usual] = _usual_scaled(raw if usual.all() else raw.filter(pa.array(usual)), places)
    odd = ~usual & ~blank
    if odd.any():
        positions = np.flatnonzero(odd)
        cells = raw if len(positions) == size else raw.take(pa.array(positions))
        distinct = _few_distinct(cells)
        dollars = _has(raw, "$")
        if distinct is None:
            parsed = _parse_odd_numbers(cells, places, dollars)
        else:
            parsed = _parse_odd_numbers(distinct[0], places, dollars).take(distinct[1])
        numbers.scaled[positions] = parsed.scaled
        numbers.blank[positions] = parsed.blank
        numbers.readable[positions] = parsed.readable
        numbers.too_large[positions] = parsed.too_large
    return numbers


_DECIMALS = {2: pa.decimal64(LIMIT_DIGITS + 2, 2), 4: pa.decimal64(LIMIT_DIGITS + 4, 4)}
# Bytes that rule a column out of _plain_column_scaled: Arrow would read exponents and "+", and commas and spaces need
# the cleaning chain (grouping checks, "- 12").
_NOT_PLAIN_BYTES = (b"e", b"E", b"+", b",", b" ")
_PLAIN_MAX_CHARACTERS = LIMIT_DIGITS


def _plain_column_scaled(raw: pa.Array, blank: np.ndarray, places: int) -> np.ndarray | None:
    """Scaled integers of a column whose non-empty cells are all sign, digits and point ("$" dropped), else None.

    One Arrow decimal cast, no regex: the cast fails on any other text, on more than `places` non-zero decimals and on
    values of 10^14 or more. For the cells it accepts, the cleaning chain would give the same exact value.
    """
    characters = _characters(raw)
    if any(byte in characters for byte in _NOT_PLAIN_BYTES):
        return None
    texts = raw.filter(pa.array(~blank)) if blank.any() else raw
    if b"$" in characters:
        texts = pc.replace_substring(texts, "$", "")
    # pyarrow 26's decimal64 cast overflows int64 silently past 18 digits, reading or scaling up: "1900000000000000" at
    # 4 places gives 55325592629044.8384. Cells of at most 14 characters are below 10^14, so their scaled values stay
    # below 10^18 and the cast is exact; a column with longer ones takes the regex path.
    if len(texts) and pc.max(pc.binary_length(texts)).as_py() > _PLAIN_MAX_CHARACTERS:
        return None
    try:
        decimals = pc.cast(texts, _DECIMALS[places])
    except pa.ArrowInvalid:
        return None
    values = np.frombuffer(decimals.buffers()[1], dtype=np.int64, count=len(decimals), offset=8 * decimals.offset)
    if len(values) == len(raw):
        return values.copy()  # writable, like the scattered case
    scaled = np.zeros(len(raw), dtype=np.int64)
    scaled[~blank] = values
    return scaled


def _usual_scaled(texts: pa.Array, places: int) -> np.ndarray:
    """int64 value x 10^places of texts of the _USUAL_NUMBER shape: Arrow's exact decimal cast, read as its integers."""
    if _may_hold(texts, b"$"):
        texts = pc.replace_substring(texts, "$", "")
    if _may_hold(texts, b","):
        texts = pc.replace_substring(texts, ",", "")
    decimals = pc.cast(texts, _DECIMALS[places])
    # A decimal64 is its unscaled integer: the buffer read as int64 is the value x 10^places.
    return np.frombuffer(decimals.buffers()[1], dtype=np.int64, count=len(decimals), offset=8 * decimals.offset)


_DISTINCT_MIN_ROWS = 20_000
_DISTINCT_SAMPLE = 4096


def _few_distinct(values: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """(distinct values, each cell's position among them) when a long column repeats itself, else None.

    Work done once per distinct value then taken back is exact for any per-cell function; whether it pays is guessed
    from the first rows (dates, quantities, prices and vendors repeat; amounts seldom do).
    """
    if len(values) < _DISTINCT_MIN_ROWS:
        return None
    sample = values.slice(0, _DISTINCT_SAMPLE)
    if pc.count_distinct(sample).as_py() * 2 > len(sample):
        return None
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary, np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse_odd_numbers(raw: pa.Array, places: int, dollars: bool | None = None) -> _Numbers:
    """_parse_numbers for any cell text: finance spellings cleaned, rare shapes through Decimal.

    `dollars` is whether the whole column has a "$" (see _clean_numbers); None: whether these cells have one.
    """
    if dollars is None:
        dollars = _has(raw, "$")
    plain = _mask(pc.match_substring_regex(raw, _PLAIN_NUMBER))
    size = len(raw)
    if plain.all():
        text, blank, readable = raw, np.zeros(size, dtype=bool), plain
    else:
        # Only the cells that are not already plain numbers go through the cleaning chain.
        others = np.flatnonzero(~plain)
        cleaned, other_blank, other_readable = _clean_numbers(raw.take(pa.array(others)), dollars)
        text = pc.replace_with_mask(raw, pa.array(~plain), cleaned)
        blank = np.zeros(size, dtype=bool)
        blank[others] = other_blank
        readable = plain.copy()
        readable[others] = other_readable
    scaled, too_large = _scaled(text, readable, places)
    return _Numbers(scaled, blank, readable, too_large)


def _scaled(text: pa.Array, readable: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray]:
    """(int64 value x 10^places rounded half away from zero, too-large mask) of the readable number texts.

    The usual shapes ("-1234.5") are cut at the point by Arrow kernels: the digits without the point read as one
    integer, times 10 to the number of places missing. Exponents, more places or more digits (rare) go through
    Decimal and gpo.money's rounding, one cell at a time.
    """
    size = len(text)
    scaled = np.zeros(size, dtype=np.int64)
    too_large = np.zeros(size, dtype=bool)
    if not readable.any():
        return scaled, too_large
    # Readable texts are sign, digits, point and exponent only: no exponent, at most `places` decimals and at most
    # 14 integer digits make the simple shape (plain substring kernels, cheaper than a second regex).
    point = np.asarray(pc.find_substring(text, ".").to_numpy(zero_copy_only=False), dtype=np.int64)
    length = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False), dtype=np.int64)
    given = np.where(point >= 0, length - point - 1, 0)
    integer_digits = np.where(point >= 0, point, length) - _mask(pc.starts_with(text, "-"))
    exponent = _mask(pc.match_substring(text, "e", ignore_case=True))
    simple = readable & ~exponent & (given <= places) & (integer_digits <= LIMIT_DIGITS)
    if simple.any():
        subset = text if simple.all() else text.filter(pa.array(simple))
        digits = _integers(pc.replace_substring(subset, ".", ""))
        scaled[simple] = digits * _POWERS[places - given[simple]]
    limit = Decimal(10) ** LIMIT_DIGITS
    rare = np.flatnonzero(readable & ~simple)
    for index, cell in zip(rare.tolist(), text.take(pa.array(rare)).to_pylist(), strict=True):
        number = Decimal(cell)
        # Compared before rounding (context-free copy_abs): quantize() of a huge number exceeds the precision.
        if number.copy_abs() >= limit or (rounded := _ROUNDING[places](number)).copy_abs() >= limit:
            too_large[index] = True
        else:
            scaled[index] = int(rounded.scaleb(places))
    return scaled, too_large


_MONTH_NAMES = (
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may",),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
)
_MONTH_LOOKUP = pa.array([name for names in _MONTH_NAMES for name in names])
_MONTH_NUMBER = np.array([number for number, names in enumerate(_MONTH_NAMES, start=1) for _ in names] + [0])
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?: ?[AaPp][Mm])?)?"
# DESIGN §5: ISO, US month-first (03/15/2026, 3/15/26) and month names (15-Mar-2026, Mar 15 2026).
_DATE_PATTERNS = (
    rf"^(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}}){_TIME}$",
    rf"^(?P<m>[0-9]{{1,2}})/(?P<d>[0-9]{{1,2}})/(?P<y>[0-9]{{4}}|[0-9]{{2}}){_TIME}$",
    r"^(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})-(?P<y>[0-9]{4})$",
    r"^(?P<d>[0-9]{1,2})[-\s/]+(?P<n>[A-Za-z]{3,9})\.?[-\s/,]+(?P<y>[0-9]{4}|[0-9]{2})$",
    r"^(?P<n>[A-Za-z]{3,9})\.?[-\s/]+(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,?[-\s/,]+(?P<y>[0-9]{4}|[0-9]{2})$",
)
_ISO_FAST = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
_US_FAST = r"^[0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2})$"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_NOT_A_DATE = np.datetime64("NaT", "D")


def _integers(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.cast(pc.fill_null(array, "0"), pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _calendar_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] from parts, NaT where the date does not exist (2/30, month 13)."""
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1) & (year <= 9999)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + np.where(valid, day - 1, 0).astype("timedelta64[D]")
    valid &= dates.astype("datetime64[M]") == months
    return np.where(valid, dates, _NOT_A_DATE)


def _parse_dates(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D], NaT where unreadable; blank mask): ISO, US, month names, Excel serials; per distinct text."""
    distinct = _few_distinct(raw)
    if distinct is None:
        return _parse_date_cells(raw)
    dates, blank = _parse_date_cells(distinct[0])
    return dates[distinct[1]], blank[distinct[1]]


def _parse_date_cells(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    text = _trimmed(raw)
    blank = _mask(pc.equal(pc.utf8_length(text), 0))
    result = np.full(len(text), _NOT_A_DATE, dtype="datetime64[D]")
    pending = ~blank
    # Fast paths without regex extraction: calamine's "2026-03-15 00:00:00" / ISO text, then US "03/15/2026".
    for pattern, split in ((_ISO_FAST, None), (_US_FAST, "/")):
        if not pending.any():
            break
        positions = np.flatnonzero(pending)
        candidates = text.take(pa.array(positions)) if len(positions) < len(text) else text
        matched = _mask(pc.match_substring_regex(candidates, pattern))
        if not matched.any():
            continue
        found = candidates.filter(pa.array(matched)) if not matched.all() else candidates
        if split is None:
            year, month, day = (_integers(pc.utf8_slice_codeunits(found, a, b)) for a, b in ((0, 4), (5, 7), (8, 10)))
        else:
            parts = pc.split_pattern(found, split)
            month, day, year = (_integers(pc.list_element(parts, i)) for i in range(3))
            year = np.where(year < 100, np.where(year < 69, 2000, 1900) + year, year)
        where = positions[matched]
        result[where] = _calendar_dates(year, month, day)
        pending[where] = False
    for pattern in _DATE_PATTERNS:
        if not pending.any():
            break
        positions = np.flatnonzero(pending)
        parts = pc.extract_regex(text.take(pa.array(positions)), pattern)
        matched = _mask(pc.is_valid(parts))
        if not matched.any():
            continue
        parts = parts.filter(pa.array(matched))
        year_text = parts.field("y")
        year = _integers(year_text)
        short = _mask(pc.less(pc.utf8_length(year_text), 4))
        # Two-digit years follow Python's %y pivot: 00-68 -> 2000s, 69-99 -> 1900s.
        year = np.where(short, np.where(year < 69, 2000, 1900) + year, year)
        if "?P<n>" in pattern:
            index = pc.index_in(pc.utf8_lower(parts.field("n")), value_set=_MONTH_LOOKUP)
            month = _MONTH_NUMBER[np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)]
        else:
            month = _integers(parts.field("m"))
        where = positions[matched]
        result[where] = _calendar_dates(year, month, _integers(parts.field("d")))
        pending[where] = False
    if pending.any():
        positions = np.flatnonzero(pending)
        candidates = text.take(pa.array(positions))
        serial_mask = _mask(pc.match_substring_regex(candidates, r"^[0-9]{1,7}(?:\.[0-9]+)?$"))
        if serial_mask.any():
            serial = pc.cast(candidates.filter(pa.array(serial_mask)), pa.float64()).to_numpy(zero_copy_only=False)
            valid = (serial >= 1) & (serial < 2958466)
            dates = _EXCEL_EPOCH + np.where(valid, np.floor(serial), 0).astype(np.int64).astype("timedelta64[D]")
            result[positions[serial_mask]] = np.where(valid, dates, _NOT_A_DATE)
    return result, blank


# --------------------------------------------------------------------------------------------------------------
# Validation (DESIGN.md section 5)


_SUMMARY = r"(?i)^(?:sub\s*-?\s*)?total"


def _absent_numbers(size: int) -> _Numbers:
    nothing = np.zeros(size, dtype=bool)
    return _Numbers(np.zeros(size, dtype=np.int64), ~nothing, nothing, nothing)


def _validate(grid: _Grid, header_index: int, headers: list[str], mapping: dict[str, str]) -> IngestResult:
    start = header_index + 1
    columns = [column.slice(start) for column in grid.columns]
    row_numbers = grid.row_numbers[start:]
    position = {header: index for index, header in reversed(list(enumerate(headers)))}
    column_of = {name: position[header] for name, header in mapping.items()}

    filled = np.zeros(len(row_numbers), dtype=bool)
    for column in columns:
        # Only rows still blank so far need the next column looked at: usually the first column fills them all.
        pending = np.flatnonzero(~filled)
        if not len(pending):
            break
        if len(pending) == len(filled):
            filled = ~_blank(column)
        else:
            filled[pending] = ~_blank(column.take(pa.array(pending)))
    # Trailing blank rows are padding, not rows; a long run of blank rows before more data is refused (SECURITY 7).
    end = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    _check_blank_runs(filled[:end], row_numbers[:end])
    if end < len(row_numbers):
        columns = [column.slice(0, end) for column in columns]
        row_numbers = row_numbers[:end]
        filled = filled[:end]
    size = len(row_numbers)
    if size > _max_rows():
        raise IngestError(f"The file has more than {_max_rows():,} data rows (the limit).")

    dates, date_blank = _parse_dates(columns[column_of["purchase_date"]])
    date_ok = ~np.isnat(dates)
    # DESIGN §5: a summary row has no date and a text cell beginning with "total" or "subtotal".
    summary = np.zeros(size, dtype=bool)
    undated = np.flatnonzero(~date_ok & filled)
    if len(undated):
        hits = np.zeros(len(undated), dtype=bool)
        for column in columns:
            hits |= _mask(pc.match_substring_regex(_trimmed(column.take(pa.array(undated))), _SUMMARY))
        summary[undated[hits]] = True
    skipped = ~filled | summary
    data = ~skipped

    numbers = {
        name: _parse_numbers(columns[column_of[name]], _PLACES[name]) for name in NUMBER_FIELDS if name in column_of
    }
    quantity = numbers.get("quantity") or _absent_numbers(size)
    price = numbers.get("unit_price") or _absent_numbers(size)
    extended = numbers.get("extended_amount") or _absent_numbers(size)

    # Reasons in priority order; the first that applies is the row's reason.
    reason = np.full(size, "", dtype=object)
    column_name = np.full(size, "", dtype=object)

    open_rows = data.copy()  # data rows without a reason yet

    def reject(mask: np.ndarray, field_name: str | None, text: str | Callable[[np.ndarray], list[str]]) -> None:
        todo = mask & open_rows
        if not todo.any():
            return
        reason[todo] = text(todo) if callable(text) else text
        column_name[todo] = mapping.get(field_name or "", "")
        open_rows[todo] = False

    if grid.unusable_cells:
        # SECURITY.md item 5: a formula without its saved value or an error cell is never read as blank or zero.
        cell_mask, cell_field, cell_problem = _unusable_rows(grid.unusable_cells, row_numbers, column_of)
        for index in np.flatnonzero(cell_mask & data):
            name = str(cell_field[index])
            reason[index] = f"{FIELD_LABELS[name]} is {cell_problem[index]}"
            column_name[index] = mapping[name]
            open_rows[index] = False
    reject(date_blank, "purchase_date", "date is missing")
    reject(~date_ok, "purchase_date", _quoting("date is unreadable: ", columns[column_of["purchase_date"]], trim=True))
    reject(_blank(columns[column_of["vendor_name"]]), "vendor_name", "vendor is blank")
    for name, parsed in numbers.items():
        raw = columns[column_of[name]]
        reject(~parsed.blank & ~parsed.readable, name, _quoting(f"{FIELD_LABELS[name]} is unreadable: ", raw))
    for name, parsed in numbers.items():
        raw = columns[column_of[name]]
        reject(parsed.too_large, name, _quoting(f"{FIELD_LABELS[name]} is too large: ", raw))
    usable = quantity.readable.astype(np.int8) + price.readable.astype(np.int8) + extended.readable.astype(np.int8)
    few = usable < 2
    # The reason names the first of the three that is missing.
    first_missing = {
        "quantity": ~quantity.readable,
        "unit_price": quantity.readable & ~price.readable,
        "extended_amount": quantity.readable & price.readable,
    }
    for name in NUMBER_FIELDS:
        reject(few & first_missing[name], name, "fewer than two of quantity, unit price and extended amount")
    # Zero tests use the 4-place values: a quantity of 0.00001 is stored as 0 and cannot divide the amount.
    derive_quantity = ~quantity.readable & price.readable & extended.readable
    reject(derive_quantity & (price.scaled == 0), "unit_price", "unit price is zero: the quantity cannot be derived")
    quantity_zero = np.where(quantity.readable, quantity.scaled == 0, derive_quantity & (extended.scaled == 0))
    reject(quantity_zero, "quantity" if "quantity" in mapping else "extended_amount", "quantity is zero")

    # Derive the third of quantity / unit price / extended amount from the other two (DESIGN §5), exactly in integers:
    # price x 10^4 = cents x 10^6 / (quantity x 10^4), and the same for the quantity, rounded once.
    quantities, prices = quantity.scaled.copy(), price.scaled.copy()
    todo = open_rows.copy()
    derive_price = todo & ~price.readable
    derive_quantity &= todo
    derived_price, price_big = _rounded_ratio(extended.scaled[derive_price], _E6, quantities[derive_price], _E18)
    prices[derive_price] = derived_price
    derived_quantity, quantity_big = _rounded_ratio(
        extended.scaled[derive_quantity], _E6, prices[derive_quantity], _E18
    )
    quantities[derive_quantity] = derived_quantity
    reject(_scatter(derive_price, price_big), "extended_amount", "unit price (extended amount / quantity) is too large")
    reject(
        _scatter(derive_quantity, quantity_big),
        "extended_amount",
        "quantity (extended amount / unit price) is too large",
    )
    # Spend (DESIGN §4.7): the extended amount as given, else cents(quantity x unit price) of the 4-place values. The
    # file total counts every data row that has either, rejected or not (values too large count as 0).
    spend = np.where(extended.readable, extended.scaled, 0)
    product_rows = data & ~extended.readable & quantity.readable & price.readable
    product, product_big = _rounded_ratio(quantities[product_rows], prices[product_rows], _E6, _E16)
    spend[product_rows] = product
    reject(_scatter(product_rows, product_big), "unit_price", "spend (quantity x unit price) is too large")
    accepted = open_rows

    lines = _lines_frame(accepted, row_numbers, dates, columns, column_of, quantities, prices, extended, spend)
    rejected = np.flatnonzero(data & ~accepted)
    values = _row_values(columns, rejected)
    errors = [
        RowError(int(row_numbers[i]), str(column_name[i]), str(reason[i]), row_values)
        for i, row_values in zip(rejected.tolist(), values, strict=True)
    ]
    return IngestResult(
        file_format="",
        sheet_name=grid.sheet_name,
        header_row=int(grid.row_numbers[header_index]),
        headers=headers,
        mapping=mapping,
        lines=lines,
        errors=errors,
        rows_skipped=int(skipped.sum()),
        rows_total=int(data.sum()),
        file_total=_dollars(spend[data]),
        accepted_total=_dollars(spend[accepted]),
    )


def _unusable_rows(
    cells: dict[tuple[int, int], str], row_numbers: np.ndarray, column_of: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with an unusable cell in a mapped column: the mask, that column's field and what is wrong with it."""
    field_at = {position: name for name, position in column_of.items()}
    first: dict[int, tuple[str, str]] = {}
    for (row, position), problem in sorted(cells.items()):
        if position in field_at and row not in first:
            first[row] = (field_at[position], problem)
    mask = np.isin(row_numbers, list(first))
    names = np.full(len(row_numbers), "", dtype=object)
    problems = np.full(len(row_numbers), "", dtype=object)
    for index in np.flatnonzero(mask):
        names[index], problems[index] = first[int(row_numbers[index])]
    return mask, names, problems


def _row_values(columns: list[pa.Array], rows: np.ndarray) -> list[tuple[str, ...]]:
    if not len(rows):
        return []
    indices = pa.array(rows)
    taken = [column.take(indices).to_pylist() for column in columns]
    return [tuple(row) for row in zip(*taken, strict=True)]


def _quoting(prefix: str, values: pa.Array, *, trim: bool = False) -> Callable[[np.ndarray], list[str]]:
    """A reason builder naming each rejected row's own cell text (trimmed with `trim`)."""

    def build(mask: np.ndarray) -> list[str]:
        chosen = values.filter(pa.array(mask))
        return [prefix + repr(value) for value in (_trimmed(chosen) if trim else chosen).to_pylist()]

    return build


def _check_blank_runs(filled: np.ndarray, row_numbers: np.ndarray) -> None:
    """Refuse a run of BLANK_RUN_LIMIT or more blank rows with data after it, naming the rows (SECURITY.md item 7).

    `filled` ends at the last filled row (trailing blank rows are padding). Such a run is what a spreadsheet program
    leaves behind, and rows far below it are more likely forgotten than meant: the user decides, nothing is dropped.
    """
    edges = np.diff(np.concatenate(([0], (~filled).astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_runs = np.flatnonzero(ends - starts >= BLANK_RUN_LIMIT)
    if not len(long_runs):
        return
    start, end = int(starts[long_runs[0]]), int(ends[long_runs[0]])
    first, last, after = int(row_numbers[start]), int(row_numbers[end - 1]), int(row_numbers[end])
    raise IngestError(
        f"Rows {first:,} to {last:,} are blank ({end - start:,} in a row) and row {after:,} has data after them: "
        f"a run of {BLANK_RUN_LIMIT:,} or more blank rows is refused rather than read past. Delete the blank rows "
        "(or the rows below them if they are not purchases) and upload the file again."
    )


_PLACES = {"quantity": 4, "unit_price": 4, "extended_amount": 2}
_E6 = 10**6
_E16 = 10**16  # cents: 10^14 dollars
_E18 = 10**18  # 4 places: 10^14


def _rounded_ratio(
    a: np.ndarray, b: np.ndarray | int, d: np.ndarray | int, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """round(a x b / d) half away from zero, exact, as int64 (d never 0); with the mask where |result| >= limit.

    int64 where a x b surely fits (a float estimate below 2^62), Python integers for the rare rest. The result is 0
    where it reaches `limit`.
    """
    a, b, d = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), np.asarray(d, np.int64))
    risky = np.abs(a.astype(np.float64) * b.astype(np.float64)) >= 2.0**62
    numerator = np.where(risky, 0, a) * np.where(risky, 0, b)
    divisor = np.where(risky, 1, d)
    quotient, remainder = np.divmod(np.abs(numerator), np.abs(divisor))
    quotient += remainder >= np.abs(divisor) - remainder  # half away from zero: 2 x remainder >= divisor
    result = np.where((numerator < 0) != (divisor < 0), -quotient, quotient)
    big = np.zeros(len(result), dtype=bool)
    for index in np.flatnonzero(risky).tolist():
        exact = _round_half_away(int(a[index]) * int(b[index]), int(d[index]))
        if abs(exact) >= limit:
            big[index] = True
        else:
            result[index] = exact
    big |= np.abs(result) >= limit
    result[big] = 0
    return result, big


def _round_half_away(numerator: int, divisor: int) -> int:
    quotient, remainder = divmod(abs(numerator), abs(divisor))
    quotient += 2 * remainder >= abs(divisor)
    return -quotient if (numerator < 0) != (divisor < 0) else quotient


def _scatter(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A full-length bool array: `values` at the positions where `mask` is True, False elsewhere."""
    result = np.zeros(len(mask), dtype=bool)
    result[mask] = values
    return result


def _dollars(amounts: np.ndarray) -> Decimal:
    """The exact sum of int64 cents as a Decimal with two places (Python integers when int64 could overflow)."""
    fits = np.abs(amounts.astype(np.float64)).sum() < 2.0**62
    total = int(amounts.sum()) if fits else sum(amounts.tolist())
    return Decimal(total).scaleb(-2)


LINE_COLUMNS = (
    "row_number",
    "purchase_date",
    "vendor_name",
    "sku",
    "mfr_part_number",
    "description",
    "uom",
    "invoice_number",
    "po_number",
    "quantity_e4",
    "unit_price_e4",
    "extended_cents",
    "has_extended",
    "spend_cents",
)


def _lines_frame(
    accepted: np.ndarray,
    row_numbers: np.ndarray,
    dates: np.ndarray,
    columns: list[pa.Array],
    column_of: dict[str, int],
    quantities: np.ndarray,
    prices: np.ndarray,
    extended: _Numbers,
    spend: np.ndarray,
) -> pd.DataFrame:
    """One row per accepted data row; money as int64 (x 10^4 for quantity and unit price, cents for amounts)."""
    count = int(accepted.sum())
    everything = count == len(accepted)
    keep = pa.array(accepted)

    def pick(values: np.ndarray) -> np.ndarray:
        # Every row accepted (the usual case): the arrays are _validate's own and can be used as they are.
        return values if everything else values[accepted]

    frame: dict[str, Any] = {
        "row_number": pick(row_numbers).astype(np.int64, copy=False),
        "purchase_date": pd.Series(pick(dates)),
    }
    for name in TEXT_FIELDS:
        if name in column_of:
            column = columns[column_of[name]]
            frame[name] = pd.Series(pd.arrays.ArrowStringArray(_trimmed(column if everything else column.filter(keep))))
        else:
            frame[name] = pd.Series(pd.arrays.ArrowStringArray(pa.repeat("", count))).astype("str")
    has_extended = pick(extended.readable)
    frame["quantity_e4"] = pick(quantities)
    frame["unit_price_e4"] = pick(prices)
    frame["extended_cents"] = np.where(has_extended, pick(extended.scaled), 0)
    frame["has_extended"] = has_extended
    frame["spend_cents"] = pick(spend)
    # copy=False: the columns are fresh arrays already, and pandas would copy them into 2-D blocks otherwise.
    return pd.DataFrame({name: frame[name] for name in LINE_COLUMNS}, copy=False)


__all__ = [
    "FIELDS",
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
    "require_fields",
]
