"""Purchase file ingestion (DESIGN.md section 5): reading, mapping, accepting or rejecting every data row."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from reports.ingest import IngestError, RowError, ingest_file, preview

HEADER = "Invoice Date,Vendor,Item #,Qty,Unit Price,Extended\n"


def write(tmp_path: Path, text: str, name: str = "purchases.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_lines_are_mapped_parsed_and_totalled(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '03/15/2026,GE Healthcare,00123,2,"$1,234.56",2469.12\n')

    result = ingest_file(path)

    assert result.mapping == {
        "purchase_date": "Invoice Date",
        "vendor_name": "Vendor",
        "sku": "Item #",
        "quantity": "Qty",
        "unit_price": "Unit Price",
        "extended_amount": "Extended",
    }
    line = result.lines.iloc[0].to_dict()
    assert line == {
        "row_number": 2,
        "purchase_date": datetime.date(2026, 3, 15),
        "vendor_name": "GE Healthcare",
        "sku": "00123",
        "mfr_part_number": "",
        "description": "",
        "uom": "",
        "invoice_number": "",
        "po_number": "",
        "quantity": Decimal("2"),
        "unit_price": Decimal("1234.56"),
        "extended_amount": Decimal("2469.12"),
        "spend": Decimal("2469.12"),
    }
    assert (result.rows_total, result.rows_skipped, result.errors) == (1, 0, [])
    assert result.file_total == result.accepted_total == Decimal("2469.12")


def test_unreadable_date_is_rejected_with_row_column_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "Date Not Captured,GE,1,2,3.00,6.00\n")

    result = ingest_file(path)

    assert result.errors == [
        RowError(
            row=2,
            column="Invoice Date",
            reason="date is unreadable: 'Date Not Captured'",
            values=("Date Not Captured", "GE", "1", "2", "3.00", "6.00"),
        )
    ]
    assert len(result.lines) == 0
    assert result.file_total == Decimal("6.00")
    assert result.accepted_total == Decimal("0.00")


def test_png_renamed_csv_is_refused_by_content(tmp_path: Path) -> None:
    path = tmp_path / "purchases.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    with pytest.raises(IngestError, match="PNG image"):
        ingest_file(path)


def test_preview_shows_mapping_and_first_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "Purchases Q1\n\n" + HEADER + "03/15/2026,GE,1,2,3.00,6.00\n")

    shown = preview(path)

    assert (shown.file_format, shown.header_row) == ("csv", 3)
    assert shown.sample_rows == [["03/15/2026", "GE", "1", "2", "3.00", "6.00"]]
    assert shown.mapping["quantity"] == "Qty"
    assert len(shown.header_signature) == 64
