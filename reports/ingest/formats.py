"""Reading a purchase file: its type by content, the safety checks of its package, and its cells as a grid of
text (xlsx/xlsm/xlsb/xls/ods through calamine, csv/tsv through Arrow). DESIGN.md section 5 "Formats"; SECURITY.md
items 2-7."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from reports.ingest.header import (
    _find_header_index,
    _first_filled_index,
)
from reports.ingest.types import (
    BLANK_RUN_LIMIT,
    CSV_SAMPLE_CHARS,
    DAMAGED_MESSAGE,
    HEADER_SCAN_ROWS,
    PASSWORD_MESSAGE,
    PREVIEW_BYTES,
    ZIP_READ_CHUNK,
    IngestError,
    _Grid,
    logger,
)
from reports.ingest.values import (
    _any,
    _may_hold,
)

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
_ODS_CELLS = (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell")
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


@dataclass
class _OdsCursor:
    """Where the expat pass over an ods content.xml stands: rows so far in the table, the row's and cell's repeats;
    and each finished table's extent."""

    extent: _SheetExtent = field(default_factory=_SheetExtent)
    name: str = ""
    rows: int = 0
    row_repeat: int = 1
    column: int = 0
    last_valued: int = 0
    cell_repeat: int = 0  # 0 outside a cell
    valued: bool = False
    extents: dict[str, _SheetExtent] = field(default_factory=dict)

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == f"{_ODS_TABLE}table":
            self.extent, self.name, self.rows = _SheetExtent(), attributes.get(f"{_ODS_TABLE}name", ""), 0
        elif tag == f"{_ODS_TABLE}table-row":
            self.row_repeat, self.column, self.last_valued = _repeat(attributes, "number-rows-repeated"), 0, 0
        elif tag in _ODS_CELLS:
            self.cell_repeat = _repeat(attributes, "number-columns-repeated")
            self.valued = f"{_ODS_OFFICE}value-type" in attributes
        elif self.cell_repeat:
            self.valued = True  # a paragraph (or anything) inside a cell

    def end(self, tag: str) -> None:
        if tag in _ODS_CELLS:
            self.column += self.cell_repeat
            if self.valued:
                self.last_valued = self.column
            self.cell_repeat, self.valued = 0, False
        elif tag == f"{_ODS_TABLE}table-row":
            self.rows += self.row_repeat
            if self.last_valued:
                self.extent.rows = self.rows
                if self.last_valued > self.extent.columns:
                    self.extent.columns, self.extent.column_letters = (
                        self.last_valued,
                        _column_letters(self.last_valued),
                    )
        elif tag == f"{_ODS_TABLE}table":
            self.extents[self.name] = self.extent


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

    at = _OdsCursor()

    def no_dtd(*args: Any) -> None:
        raise IngestError("The spreadsheet's content declares a DTD: refused (XML entity attacks).")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = at.start
    parser.EndElementHandler = at.end
    parser.StartDoctypeDeclHandler = no_dtd
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            while chunk := content.read(ZIP_READ_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (KeyError, expat.ExpatError, zipfile.BadZipFile, OSError) as exc:
        raise IngestError(DAMAGED_MESSAGE) from exc
    return at.extents


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


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {delimiter: sum(line.count(delimiter) for line in lines) for delimiter in (",", ";", "\t", "|")}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","
