"""Purchase file ingestion: any finance spreadsheet to validated purchase lines (DESIGN.md section 5).

Pure: no ORM, no request. Reads xlsx/xlsm/xls/ods through fastexcel (Rust calamine) with every column forced to
text, and csv/tsv through pandas' C engine with dtype=str, then finds the header row, maps the columns, and accepts
or rejects every data row with vectorised pandas string operations. Money and quantities are parsed from the cell's
text into Decimal, never through float (STYLE.md rule 6); floats only drive the vectorised zero/blank masks.

Column choices worth knowing:
- When a file has both "Pack Price" and "Unit Price" (the SCMS export), `unit_price` is the pack price: quantities in
  such files count packs and "quantity x pack price = line value" holds, so the price per the line's UOM is the pack
  price. "Unit Price" is then left unmapped (the user can choose it in the preview).
- Trailing blank rows (spreadsheet padding) are ignored, not counted as skipped; blank rows between data rows are
  skipped and counted. Reading stops at a run of BLANK_RUN_LIMIT blank rows (SECURITY.md item 7).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gpo.money import cents, unit_price

FIELDS = (
    "purchase_date",
    "vendor_name",
    "sku",
    "mfr_part_number",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "extended_amount",
    "invoice_number",
    "po_number",
)
TEXT_FIELDS = ("vendor_name", "sku", "mfr_part_number", "description", "uom", "invoice_number", "po_number")
NUMBER_FIELDS = ("quantity", "unit_price", "extended_amount")
FIELD_LABELS = {
    "purchase_date": "purchase date",
    "vendor_name": "vendor",
    "sku": "SKU",
    "mfr_part_number": "manufacturer part number",
    "description": "description",
    "quantity": "quantity",
    "uom": "UOM",
    "unit_price": "unit price",
    "extended_amount": "extended amount",
    "invoice_number": "invoice number",
    "po_number": "PO number",
}

HEADER_SCAN_ROWS = 30
BLANK_RUN_LIMIT = 10_000
FUZZY_THRESHOLD = 90
CSV_SAMPLE_CHARS = 64 * 1024
ZIP_READ_CHUNK = 1024 * 1024

# Synonyms per field in priority order (normalised: lower-case, letters/digits, single spaces, parentheses dropped).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "purchase_date": (
        "purchase date",
        "invoice date",
        "date",
        "order date",
        "transaction date",
        "txn date",
        "posting date",
        "post date",
        "delivered to client date",
        "delivery date",
        "po date",
        "ship date",
        "receipt date",
        "received date",
    ),
    "vendor_name": (
        "vendor name",
        "vendor",
        "supplier",
        "supplier name",
        "manufacturer vendor",
        "payee",
        "distributor",
    ),
    "sku": (
        "sku",
        "vendor item",
        "vendor item number",
        "vendor sku",
        "item",
        "item number",
        "item no",
        "item id",
        "catalog no",
        "catalog number",
        "catalog",
        "cat no",
        "product number",
        "product code",
        "part number",
        "ndc",
    ),
    "mfr_part_number": (
        "mfr part",
        "mfr part number",
        "mfr part no",
        "mpn",
        "manufacturer part number",
        "manufacturer part",
        "mfg part number",
        "mfg part",
        "manufacturer item number",
    ),
    "description": ("description", "item description", "product description", "product", "item name", "product name"),
    "quantity": ("quantity", "qty", "line item quantity", "qty ordered", "quantity ordered", "qty shipped", "units"),
    "uom": ("uom", "unit of measure", "unit", "units of measure", "pack", "um", "u m"),
    "unit_price": ("pack price", "unit price", "price", "unit cost", "cost", "price each", "net price", "each price"),
    "extended_amount": (
        "extended",
        "extended amount",
        "extended price",
        "ext price",
        "ext amount",
        "line item value",
        "line total",
        "amount",
        "total",
        "line amount",
        "total price",
        "total amount",
        "net amount",
    ),
    "invoice_number": ("invoice number", "invoice", "invoice no", "invoice id", "inv no", "inv number"),
    "po_number": ("po number", "po", "po so", "po no", "purchase order", "purchase order number", "order number"),
}
_SYNONYM_FIELD = {syn: name for name, syns in SYNONYMS.items() for syn in syns}

_NOT_LETTER_DIGIT = re.compile(r"[^0-9a-z]+")
_PARENTHESES = re.compile(r"\([^)]*\)")


class IngestError(Exception):
    """The file as a whole cannot be read (type, encryption, size caps, no header); the message says why."""


@dataclass(frozen=True)
class RowError:
    """A rejected data row: its number as the spreadsheet shows it (csv: the line), the column and a plain reason."""

    row: int
    column: str
    reason: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    """The first rows of a file with the detected (or given) column mapping, for the user to confirm."""

    file_format: str
    sheet_names: list[str]
    sheet_name: str
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    sample_rows: list[list[str]]
    header_signature: str


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


def detect_format(path: Path) -> str:
    """The file's type by its content: "xlsx", "xlsm", "xls", "ods" or "csv"; IngestError naming what it is else."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE2_MAGIC):
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
            raise IngestError("The workbook is password-protected (encrypted): save it without a password and retry.")
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return "xls"
        raise IngestError("The file is an Office document that is not an Excel workbook (OLE2 without a Workbook).")
    if head.startswith(b"PK"):
        return _detect_zip_format(path)
    for magic, what in _LOOKS_LIKE:
        if head.startswith(magic):
            raise IngestError(f"The file looks like {what}, not a spreadsheet (xlsx, xlsm, xls, ods or csv).")
    _decode_text(path.read_bytes())
    return "csv"


def _detect_zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIMETYPE:
                return "ods"
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                content_types = archive.read("[Content_Types].xml")
                return "xlsm" if b"macroEnabled" in content_types else "xlsx"
            if "word/document.xml" in names:
                raise IngestError("The file looks like a Word document, not a spreadsheet.")
            if "ppt/presentation.xml" in names:
                raise IngestError("The file looks like a PowerPoint presentation, not a spreadsheet.")
            if "mimetype" in names:
                raise IngestError("The file is an OpenDocument file that is not a spreadsheet.")
    except zipfile.BadZipFile as exc:
        raise IngestError(f"The file looks like a damaged zip archive or workbook: {exc}.") from exc
    raise IngestError("The file looks like a zip archive, not a spreadsheet (xlsx, xlsm, xls, ods or csv).")


def _decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a csv file: UTF-8 with or without BOM, else cp1252; IngestError for binary data."""
    if b"\x00" in data:
        raise IngestError("The file contains binary data (NUL bytes): it is not a csv text file.")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise IngestError("The file starts as UTF-8 text but contains invalid bytes.") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise IngestError("The file is not text in UTF-8 or Windows-1252: it is not a readable csv file.") from exc


def check_zip_container(path: Path) -> None:
    """SECURITY.md item 3: refuse zip bombs from the central directory, then cap the bytes actually inflated."""
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
            # Declared sizes can lie: inflate every part in chunks (zipfile stops at the declared size and checks the
            # CRC, so a lying entry fails) and count what really comes out.
            inflated = 0
            for info in infos:
                with archive.open(info) as part:
                    while chunk := part.read(ZIP_READ_CHUNK):
                        inflated += len(chunk)
                        if inflated > budget:
                            raise IngestError(
                                f"The workbook unpacks to more than {budget:,} bytes: refused as a zip bomb."
                            )
    except zipfile.BadZipFile as exc:
        raise IngestError(f"The workbook is damaged and cannot be opened: {exc}.") from exc


# --------------------------------------------------------------------------------------------------------------
# Reading a grid of text cells


@dataclass
class _Grid:
    """Cells as text ("" when blank) with the row number the user sees for each grid row."""

    sheet_names: list[str]
    sheet_name: str
    cells: pd.DataFrame
    row_numbers: np.ndarray
    formula_without_value: set[tuple[int, int]]  # (shown row number, column position)


def _read_grid(path: Path, file_format: str, sheet: str | None, n_rows: int | None) -> _Grid:
    if file_format == "csv":
        return _read_csv_grid(path, n_rows)
    return _read_workbook_grid(path, file_format, sheet, n_rows)


def _read_workbook_grid(path: Path, file_format: str, sheet: str | None, n_rows: int | None) -> _Grid:
    import fastexcel

    if file_format in {"xlsx", "xlsm", "ods"}:
        check_zip_container(path)
    try:
        reader = fastexcel.read_excel(str(path))
        sheet_names = list(reader.sheet_names)
        if sheet is not None and sheet not in sheet_names:
            raise IngestError(f"The workbook has no sheet named {sheet!r} (sheets: {', '.join(sheet_names)}).")
        sheet_name = sheet if sheet is not None else sheet_names[0]
        max_rows = _setting("UPLOAD_MAX_ROWS", 2_000_000) + HEADER_SCAN_ROWS + BLANK_RUN_LIMIT
        limit = max_rows + 1 if n_rows is None else n_rows
        # skip_rows=0 keeps leading blank rows, so position i is spreadsheet row i + 1.
        loaded = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string", n_rows=limit)
        width = loaded.width
        _check_width(width)
        cells = loaded.to_pandas()
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"The workbook cannot be read ({type(exc).__name__}: {exc}).") from exc
    if n_rows is None and len(cells) > max_rows:
        raise IngestError(f"The sheet has more than {_setting('UPLOAD_MAX_ROWS', 2_000_000):,} rows.")
    cells.columns = pd.RangeIndex(cells.shape[1])
    cells = cells.fillna("")
    formulas = _formula_cells_without_value(path, sheet_name) if file_format in {"xlsx", "xlsm"} else set()
    return _Grid(sheet_names, sheet_name, cells, np.arange(1, len(cells) + 1, dtype=np.int64), formulas)


def _check_width(width: int) -> None:
    max_columns = _setting("UPLOAD_MAX_COLUMNS", 200)
    if width > max_columns:
        raise IngestError(f"The sheet has {width:,} columns (at most {max_columns:,} allowed).")


_CELL_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)
_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_RELATIONSHIP = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_RELATIONSHIP_REVERSED = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def _formula_cells_without_value(path: Path, sheet_name: str) -> set[tuple[int, int]]:
    """SECURITY.md item 5: cells of an xlsx sheet holding a formula with no saved value, as (row, column position)."""
    import html

    found: set[tuple[int, int]] = set()
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
        targets = dict(_RELATIONSHIP.findall(rels))
        targets.update({rid: target for target, rid in _RELATIONSHIP_REVERSED.findall(rels)})
        member = None
        for name, rid in _SHEET_ENTRY.findall(workbook):
            if html.unescape(name.decode("utf-8")) == sheet_name and rid in targets:
                target = targets[rid].decode("utf-8")
                member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                break
        if member is None or member not in archive.namelist():
            return found
        tail = b""
        with archive.open(member) as part:
            while chunk := part.read(ZIP_READ_CHUNK):
                block = tail + chunk
                if b"<f" in block:
                    for match in _CELL_FORMULA_NO_VALUE.finditer(block):
                        found.add((int(match.group(2)), _column_position(match.group(1).decode("ascii"))))
                # A cell never spans more than this many bytes of markup in practice; re-scan the seam.
                tail = block[-4096:]
    return found


def _column_position(letters: str) -> int:
    position = 0
    for letter in letters:
        position = position * 26 + (ord(letter) - ord("A") + 1)
    return position - 1


def _read_csv_grid(path: Path, n_rows: int | None) -> _Grid:
    text, encoding = _decode_text(path.read_bytes())
    sample = text[:CSV_SAMPLE_CHARS]
    delimiter = _sniff_delimiter(sample)
    # Title rows may be ragged; find the header among the first records with the csv module (physical line numbers).
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
    header_index = _find_header_index([[cell.strip() for cell in record] for record in records], None)
    header_line = first_lines[header_index] if records else 1
    max_rows = _setting("UPLOAD_MAX_ROWS", 2_000_000) + BLANK_RUN_LIMIT
    limit = max_rows + 2 if n_rows is None else n_rows
    try:
        cells = pd.read_csv(
            io.StringIO(text) if header_line > 1 else path,
            sep=delimiter,
            header=None,
            skiprows=header_line - 1,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding=encoding,
            engine="c",
            nrows=limit,
            quotechar='"',
        )
    except (pd.errors.ParserError, ValueError):
        # Ragged rows after the header: the csv module copes; slower, but only for odd files.
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[header_line - 1 : header_line - 1 + limit]
        width = max((len(row) for row in rows), default=0)
        cells = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=str)
    except pd.errors.EmptyDataError as exc:
        raise IngestError("The file is empty.") from exc
    _check_width(cells.shape[1])
    if n_rows is None and len(cells) > max_rows:
        raise IngestError(f"The file has more than {_setting('UPLOAD_MAX_ROWS', 2_000_000):,} rows.")
    cells.columns = pd.RangeIndex(cells.shape[1])
    cells = cells.fillna("")
    # Physical line numbers: quoted cells spanning lines push every later row down.
    extra_lines = np.zeros(len(cells), dtype=np.int64)
    if "\n" in text:
        for column in cells.columns:
            extra_lines += cells[column].str.count("\n").to_numpy(dtype=np.int64)
    row_numbers = (
        header_line + np.arange(len(cells), dtype=np.int64) + np.concatenate(([0], np.cumsum(extra_lines)[:-1]))
    )
    return _Grid([], "", cells, row_numbers.astype(np.int64), set())


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {delimiter: sum(line.count(delimiter) for line in lines) for delimiter in (",", ";", "\t", "|")}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","


# --------------------------------------------------------------------------------------------------------------
# Header row and column mapping


def normalize_header(text: str) -> str:
    """A header as the synonym table spells it: lower-case, no parenthesised notes, letters/digits, single spaces."""
    text = _PARENTHESES.sub(" ", str(text).lower()).replace("#", " number ").replace("&", " and ")
    text = text.replace("no.", "no ")
    words = _NOT_LETTER_DIGIT.sub(" ", text).split()
    # "Item #" and "PO / SO #" read as "item number" / "po so number"; drop a trailing "number" only to find synonyms.
    return " ".join(words)


def _synonym_key(normalized: str) -> list[str]:
    keys = [normalized]
    if normalized.endswith(" number"):
        keys.append(normalized.removesuffix(" number"))
    return keys


def auto_map(headers: list[str]) -> dict[str, str]:
    """Field -> header text from the synonym table, then fuzzy matching (rapidfuzz) for what is left."""
    from rapidfuzz import fuzz, process

    normalized = [normalize_header(header) for header in headers]
    mapping: dict[str, str] = {}
    used: set[int] = set()
    for name in FIELDS:
        for synonym in SYNONYMS[name]:
            position = next(
                (
                    index
                    for index, text in enumerate(normalized)
                    if index not in used and text and synonym in _synonym_key(text)
                ),
                None,
            )
            if position is not None:
                mapping[name] = headers[position]
                used.add(position)
                break
    choices = {index: text for index, text in enumerate(normalized) if index not in used and len(text) >= 3}
    for name in FIELDS:
        if name in mapping or not choices:
            continue
        best: tuple[int, float] | None = None
        for synonym in SYNONYMS[name]:
            if len(synonym) < 4:
                continue  # fuzzy matching on "po", "qty" or "uom" would grab unrelated short headers
            match = process.extractOne(synonym, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
            if match is not None and (best is None or match[1] > best[1]):
                best = (int(match[2]), float(match[1]))
        if best is not None:
            mapping[name] = headers[best[0]]
            used.add(best[0])
            choices.pop(best[0], None)
    return mapping


def _header_score(cells: list[str]) -> int:
    return len(auto_map(cells)) if sum(1 for cell in cells if cell) >= 2 else 0


def _find_header_index(rows: list[list[str]], mapping: dict[str, str] | None) -> int:
    """Position of the header row among the first rows: the one naming the most fields (given headers if mapped)."""
    best_index, best_score = 0, 0
    wanted = {text.strip() for text in (mapping or {}).values() if text}
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [str(cell).strip() for cell in row]
        score = sum(1 for cell in cells if cell in wanted) * 100 + _header_score(cells)
        if score > best_score:
            best_index, best_score = index, score
    if best_score < 2:
        raise IngestError(
            "No header row found: none of the first rows names at least two of the columns expected "
            "(date, vendor, item, quantity, unit price, extended amount...)."
        )
    return best_index


def _headers_of(row: list[str]) -> list[str]:
    headers: list[str] = []
    for position, cell in enumerate(row):
        text = str(cell).strip()
        headers.append(text if text else f"(column {position + 1})")
    return headers


def _resolve_mapping(headers: list[str], given: dict[str, str] | None) -> dict[str, str]:
    mapping = auto_map(headers)
    if not given:
        return mapping
    for name, header in given.items():
        if name not in FIELDS:
            raise IngestError(f"Unknown field {name!r} in the column mapping (fields: {', '.join(FIELDS)}).")
        if header and header not in headers:
            raise IngestError(f"The column {header!r} chosen for {FIELD_LABELS[name]} is not in the header row.")
    claimed = {header for header in given.values() if header}
    mapping = {name: header for name, header in mapping.items() if header not in claimed and name not in given}
    mapping.update({name: header for name, header in given.items() if header})
    return {name: mapping[name] for name in FIELDS if name in mapping}


def header_signature(headers: list[str]) -> str:
    """A stable fingerprint of a header layout (normalised header texts) to remember a corrected mapping by."""
    return hashlib.sha256("\x1f".join(normalize_header(header) for header in headers).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------------------
# Public entry points


def preview(path: Path, *, sheet: str | None = None, mapping: dict[str, str] | None = None, rows: int = 20) -> Preview:
    """The header row, detected (or given) mapping and first data rows of a file, without validating the rows."""
    path = Path(path)
    file_format = detect_format(path)
    grid = _read_grid(path, file_format, sheet, HEADER_SCAN_ROWS + BLANK_RUN_LIMIT if rows else HEADER_SCAN_ROWS)
    header_index, headers, resolved = _header_and_mapping(grid, mapping)
    data = grid.cells.iloc[header_index + 1 :]
    stripped = data.apply(lambda column: column.str.strip())
    non_blank = stripped.ne("").any(axis=1).to_numpy()
    sample = data[non_blank].head(rows)
    return Preview(
        file_format=file_format,
        sheet_names=grid.sheet_names,
        sheet_name=grid.sheet_name,
        header_row=int(grid.row_numbers[header_index]),
        headers=headers,
        mapping=resolved,
        sample_rows=[[str(cell) for cell in row] for row in sample.itertuples(index=False)],
        header_signature=header_signature(headers),
    )


def _header_and_mapping(grid: _Grid, mapping: dict[str, str] | None) -> tuple[int, list[str], dict[str, str]]:
    if grid.cells.empty:
        raise IngestError("The file is empty: no header row found.")
    top = grid.cells.head(HEADER_SCAN_ROWS).to_numpy().tolist()
    header_index = _find_header_index(top, mapping)
    headers = _headers_of(top[header_index])
    return header_index, headers, _resolve_mapping(headers, mapping)


def ingest_file(
    path: Path,
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Read a purchase file and accept or reject every data row by DESIGN.md section 5; `progress` gets 0-100."""
    path = Path(path)
    report = progress or (lambda percent: None)
    file_format = detect_format(path)
    report(5)
    grid = _read_grid(path, file_format, sheet, None)
    report(40)
    header_index, headers, resolved = _header_and_mapping(grid, mapping)
    _require_fields(resolved)
    result = _validate(grid, header_index, headers, resolved)
    result.file_format = file_format
    report(100)
    return result


def _require_fields(mapping: dict[str, str]) -> None:
    missing = [FIELD_LABELS[name] for name in ("purchase_date", "vendor_name") if name not in mapping]
    numbers = [name for name in NUMBER_FIELDS if name in mapping]
    if len(numbers) < 2:
        missing.append("two of quantity, unit price and extended amount")
    if missing:
        raise IngestError(f"No column found for {' and '.join(missing)}: choose them in the column mapping.")


# --------------------------------------------------------------------------------------------------------------
# Values: numbers and dates, vectorised


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GROUPED = r"[-+(]?[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?\)?-?"


@dataclass
class _Numbers:
    text: pd.Series  # canonical number text ("-12.00") where readable
    value: np.ndarray  # float64, NaN where blank or unreadable: masks only, never money
    blank: np.ndarray
    readable: np.ndarray


def _parse_numbers(raw: pd.Series) -> _Numbers:
    text = raw.str.replace(r"[\s\u00a0\u2007\u202f]+", " ", regex=True).str.strip()
    blank = text.eq("").to_numpy()
    text = text.str.replace(r"\s*\$\s*", "", regex=True).str.replace(r"[\u2212\u2012\u2013\u2014]", "-", regex=True)
    has_comma = text.str.contains(",", regex=False).to_numpy()
    if has_comma.any():
        bad_grouping = has_comma & ~text.str.fullmatch(_GROUPED).to_numpy()
        text = text.str.replace(",", "", regex=False)
    else:
        bad_grouping = np.zeros(len(text), dtype=bool)
    parenthesised = text.str.startswith("(") & text.str.endswith(")")
    if parenthesised.any():
        text = text.where(~parenthesised, "-" + text.str.slice(1, -1).str.strip())
    trailing_minus = text.str.endswith("-") & ~text.str.startswith("-")
    if trailing_minus.any():
        text = text.where(~trailing_minus, "-" + text.str.slice(0, -1))
    text = text.str.replace(r"^\+", "", regex=True).str.replace(r"^--", "", regex=True)
    readable = text.str.fullmatch(_NUMBER).to_numpy() & ~blank & ~bad_grouping
    value = pd.to_numeric(text.where(readable, ""), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    value[~readable] = np.nan
    return _Numbers(text, value, blank, readable)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
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
        ),
        start=1,
    )
    for name in names
}
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_DAY_MONTH_NAME_YEAR = r"^(\d{1,2})[-\s/]([A-Za-z]{3,9})\.?[-\s/,]+(\d{4}|\d{2})$"
_MONTH_NAME_DAY_YEAR = r"^([A-Za-z]{3,9})\.?[-\s/]+(\d{1,2})(?:st|nd|rd|th)?,?[-\s/,]+(\d{4}|\d{2})$"


def _parse_dates(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(datetime64[D], NaT where unreadable; blank mask; stripped text): ISO, US month-first, month names, serials."""
    text = raw.str.strip()
    blank = text.eq("").to_numpy()
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    # Date cells from calamine come as "2026-03-15 00:00:00"; ISO text as "2026-03-15".
    formats = (
        (r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", None),
        (r"^\d{1,2}/\d{1,2}/\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?$", "%m/%d/%Y"),
        (r"^\d{1,2}/\d{1,2}/\d{2}$", "%m/%d/%y"),
        (r"^\d{1,2}-\d{1,2}-\d{4}$", "%m-%d-%Y"),
    )
    for pattern, date_format in formats:
        mask = text.str.match(pattern).to_numpy() & np.isnat(result)
        if not mask.any():
            continue
        subset = text[mask]
        if date_format is None:
            parsed = pd.to_datetime(subset.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        else:
            parsed = pd.to_datetime(subset.str.split(" ").str[0], format=date_format, errors="coerce")
        result[mask] = parsed.to_numpy(dtype="datetime64[D]")
    for pattern, order in ((_DAY_MONTH_NAME_YEAR, (0, 1, 2)), (_MONTH_NAME_DAY_YEAR, (1, 0, 2))):
        mask = text.str.match(pattern).to_numpy() & np.isnat(result)
        if not mask.any():
            continue
        parts = text[mask].str.extract(pattern)
        day, month, year = (parts[order[0]], parts[order[1]], parts[order[2]])
        month_number = month.str.lower().map(_MONTHS)
        year_number = pd.to_numeric(year, errors="coerce")
        # Two-digit years follow Python's %y pivot: 00-68 -> 2000s, 69-99 -> 1900s.
        year_number = year_number.where(year.str.len() == 4, np.where(year_number < 69, 2000, 1900) + year_number)
        parsed = pd.to_datetime(
            pd.DataFrame({"year": year_number, "month": month_number, "day": pd.to_numeric(day, errors="coerce")}),
            errors="coerce",
        )
        result[mask] = parsed.to_numpy(dtype="datetime64[D]")
    serial_mask = text.str.fullmatch(r"\d{1,7}(?:\.\d+)?").to_numpy() & np.isnat(result)
    if serial_mask.any():
        serial = pd.to_numeric(text[serial_mask], errors="coerce").to_numpy(dtype=np.float64)
        valid = (serial >= 1) & (serial < 2958466)
        days = np.where(valid, np.floor(serial), 0).astype(np.int64)
        dates = _EXCEL_EPOCH + days.astype("timedelta64[D]")
        dates[~valid] = np.datetime64("NaT")
        result[serial_mask] = dates
    return result, blank, text


# --------------------------------------------------------------------------------------------------------------
# Validation (DESIGN.md section 5)


_SUMMARY = r"^\s*(?:sub\s*-?\s*)?total"


def _validate(grid: _Grid, header_index: int, headers: list[str], mapping: dict[str, str]) -> IngestResult:
    cells = grid.cells.iloc[header_index + 1 :]
    row_numbers = grid.row_numbers[header_index + 1 :]
    position = {header: index for index, header in reversed(list(enumerate(headers)))}
    column_of = {name: position[header] for name, header in mapping.items()}

    stripped: dict[Any, pd.Series] = {column: cells[column].str.strip() for column in cells.columns}
    filled = np.zeros(len(cells), dtype=bool)
    for series in stripped.values():
        filled |= series.ne("").to_numpy()
    # Trailing blank rows are padding, not rows; a long run of blank rows ends the data (SECURITY.md item 7).
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    blank_run_end = _first_long_blank_run(filled[:last])
    end = min(last, blank_run_end)
    if end < len(cells):
        cells = cells.iloc[:end]
        row_numbers = row_numbers[:end]
        filled = filled[:end]
        stripped = {column: series.iloc[:end] for column, series in stripped.items()}
    if len(cells) > _setting("UPLOAD_MAX_ROWS", 2_000_000):
        raise IngestError(f"The file has more than {_setting('UPLOAD_MAX_ROWS', 2_000_000):,} data rows.")

    dates, date_blank, date_text = _parse_dates(cells[column_of["purchase_date"]])
    date_ok = ~np.isnat(dates)
    summary = np.zeros(len(cells), dtype=bool)
    for series in stripped.values():
        summary |= series.str.match(_SUMMARY, case=False).to_numpy()
    summary &= ~date_ok
    skipped = ~filled | summary
    data = ~skipped

    numbers = {name: _parse_numbers(cells[column_of[name]]) for name in NUMBER_FIELDS if name in column_of}
    absent = _Numbers(pd.Series([""] * len(cells), dtype=str), np.full(len(cells), np.nan), np.ones(len(cells), bool),
                      np.zeros(len(cells), bool))  # fmt: skip
    quantity = numbers.get("quantity", absent)
    price = numbers.get("unit_price", absent)
    extended = numbers.get("extended_amount", absent)

    # Reasons in priority order; the first that applies is the row's reason.
    reason = np.full(len(cells), "", dtype=object)
    column = np.full(len(cells), "", dtype=object)

    def reject(mask: np.ndarray, field_name: str | None, text: str | Callable[[np.ndarray], Any]) -> None:
        todo = mask & data & (reason == "")
        if not todo.any():
            return
        reason[todo] = text(todo) if callable(text) else text
        column[todo] = mapping[field_name] if field_name else ""

    if grid.formula_without_value:
        formula_rows: dict[int, list[int]] = {}
        for row, position_in_row in grid.formula_without_value:
            formula_rows.setdefault(row, []).append(position_in_row)
        mapped_positions = {pos: name for name, pos in column_of.items()}
        for index in np.flatnonzero(np.isin(row_numbers, list(formula_rows))):
            names = [
                mapped_positions[pos]
                for pos in sorted(formula_rows[int(row_numbers[index])])
                if pos in mapped_positions
            ]
            if names and data[index] and reason[index] == "":
                reason[index] = f"{FIELD_LABELS[names[0]]} is a formula with no saved value (open and save it in Excel)"
                column[index] = mapping[names[0]]
    reject(date_blank, "purchase_date", "date is missing")
    reject(~date_ok, "purchase_date", _quoting("date is unreadable: ", date_text))
    vendor_blank = stripped[column_of["vendor_name"]].eq("").to_numpy()
    reject(vendor_blank, "vendor_name", "vendor is blank")
    for name, parsed in numbers.items():
        unreadable = ~parsed.blank & ~parsed.readable
        label = FIELD_LABELS[name]
        raw = stripped[column_of[name]]
        reject(unreadable, name, _quoting(f"{label} is unreadable: ", raw))
    usable_count = quantity.readable.astype(int) + price.readable.astype(int) + extended.readable.astype(int)
    few = usable_count < 2
    if few.any():
        first_missing = np.where(
            ~quantity.readable, "quantity", np.where(~price.readable, "unit_price", "extended_amount")
        )
        for name in NUMBER_FIELDS:
            mask = few & (first_missing == name)
            if name in mapping:
                reject(mask, name, "fewer than two of quantity, unit price and extended amount are given")
            else:
                reject(mask, None, "fewer than two of quantity, unit price and extended amount are given")
    derive_quantity = ~quantity.readable & price.readable & extended.readable
    reject(derive_quantity & (price.value == 0), "unit_price", "unit price is zero, so the quantity cannot be derived")
    quantity_zero = np.where(quantity.readable, quantity.value == 0, derive_quantity & (extended.value == 0))
    reject(quantity_zero, "quantity" if "quantity" in mapping else "extended_amount", "quantity is zero")
    accepted = data & (reason == "")

    # Exact money for accepted rows and for the file total (DESIGN §5): Decimal from the cell text, never float.
    file_total = _file_total(data, quantity, price, extended)
    lines = _lines_frame(accepted, row_numbers, dates, stripped, column_of, quantity, price, extended)
    accepted_total = sum(lines["spend"].tolist(), Decimal("0.00"))
    rejected = np.flatnonzero(data & (reason != ""))
    values = cells.to_numpy()
    errors = [
        RowError(int(row_numbers[i]), str(column[i]), str(reason[i]), tuple(str(v) for v in values[i]))
        for i in rejected
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
        file_total=cents(file_total),
        accepted_total=cents(accepted_total),
    )


def _quoting(prefix: str, values: pd.Series) -> Callable[[np.ndarray], np.ndarray]:
    """A reason builder naming each rejected row's own cell text."""

    def build(mask: np.ndarray) -> np.ndarray:
        return (prefix + values[mask].map(repr)).to_numpy(dtype=object)

    return build


def _first_long_blank_run(filled: np.ndarray) -> int:
    """Index where a run of BLANK_RUN_LIMIT blank rows starts (len when none): reading stops there."""
    if len(filled) < BLANK_RUN_LIMIT:
        return len(filled)
    blank = (~filled).astype(np.int64)
    window = np.convolve(blank, np.ones(BLANK_RUN_LIMIT, dtype=np.int64), mode="valid")
    long_runs = np.flatnonzero(window == BLANK_RUN_LIMIT)
    return int(long_runs[0]) if len(long_runs) else len(filled)


def _decimals(text: pd.Series) -> list[Decimal]:
    return [Decimal(value) for value in text.tolist()]


def _file_total(data: np.ndarray, quantity: _Numbers, price: _Numbers, extended: _Numbers) -> Decimal:
    """DESIGN §5: each data row's extended amount where readable, else quantity x unit price where both are."""
    with_extended = data & extended.readable
    with_product = data & ~extended.readable & quantity.readable & price.readable
    total = sum((cents(value) for value in _decimals(extended.text[with_extended])), Decimal("0.00"))
    products = zip(_decimals(quantity.text[with_product]), _decimals(price.text[with_product]), strict=True)
    return total + sum((cents(q * p) for q, p in products), Decimal("0.00"))


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
    "quantity",
    "unit_price",
    "extended_amount",
    "spend",
)


def _lines_frame(
    accepted: np.ndarray,
    row_numbers: np.ndarray,
    dates: np.ndarray,
    stripped: dict[Any, pd.Series],
    column_of: dict[str, int],
    quantity: _Numbers,
    price: _Numbers,
    extended: _Numbers,
) -> pd.DataFrame:
    count = int(accepted.sum())
    frame: dict[str, Any] = {
        "row_number": row_numbers[accepted].astype(np.int64),
        "purchase_date": pd.Series(dates[accepted]).dt.date.to_numpy(dtype=object)
        if count
        else np.array([], dtype=object),
    }
    for name in TEXT_FIELDS:
        if name in column_of:
            frame[name] = stripped[column_of[name]][accepted].to_numpy(dtype=object)
        else:
            frame[name] = np.full(count, "", dtype=object)
    has_quantity = quantity.readable[accepted]
    has_price = price.readable[accepted]
    has_extended = extended.readable[accepted]
    q_text = quantity.text[accepted].tolist() if count else []
    p_text = price.text[accepted].tolist() if count else []
    e_text = extended.text[accepted].tolist() if count else []
    quantities: list[Decimal] = []
    prices: list[Decimal] = []
    extendeds: list[Decimal | None] = []
    spends: list[Decimal] = []
    # One Decimal pass over accepted rows (exact money); derivations follow DESIGN §5 / §4.7.
    for i in range(count):
        ext = cents(Decimal(e_text[i])) if has_extended[i] else None
        if has_quantity[i]:
            q = Decimal(q_text[i])
            p = Decimal(p_text[i]) if has_price[i] else Decimal(e_text[i]) / q
        else:
            p = Decimal(p_text[i])
            q = unit_price(Decimal(e_text[i]) / p)
        p = unit_price(p) if p.as_tuple().exponent < -4 else p  # type: ignore[operator]
        if q.as_tuple().exponent < -4:  # type: ignore[operator]
            q = unit_price(q)
        quantities.append(q)
        prices.append(p)
        extendeds.append(ext)
        spends.append(ext if ext is not None else cents(q * p))
    frame["quantity"] = np.array(quantities, dtype=object)
    frame["unit_price"] = np.array(prices, dtype=object)
    frame["extended_amount"] = np.array(extendeds, dtype=object)
    frame["spend"] = np.array(spends, dtype=object)
    return pd.DataFrame(frame, columns=list(LINE_COLUMNS))


__all__ = [
    "FIELDS",
    "IngestError",
    "IngestResult",
    "Preview",
    "RowError",
    "auto_map",
    "check_zip_container",
    "detect_format",
    "header_signature",
    "ingest_file",
    "preview",
]
