"""Purchase file ingestion (DESIGN.md section 5): reading, mapping, accepting or rejecting every data row."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.ingest import IngestError, IngestResult, RowError, ingest_file, preview
from tests.reports.upload_samples import SCMS_MAPPING

HEADER = "Invoice Date,Vendor,Item #,Qty,Unit Price,Extended\n"
MONEY_COLUMNS = ["quantity_e4", "unit_price_e4", "extended_cents", "spend_cents"]


def dates(result: IngestResult) -> list[datetime.date]:
    return result.lines["purchase_date"].dt.date.tolist()


def money(result: IngestResult) -> list[tuple[int, int, int | None, int]]:
    """(quantity x 10^4, unit price x 10^4, extended cents or None, spend cents) per accepted line."""
    lines = result.lines
    extended = [
        cents if given else None for cents, given in zip(lines["extended_cents"], lines["has_extended"], strict=True)
    ]
    return list(zip(lines["quantity_e4"], lines["unit_price_e4"], extended, lines["spend_cents"], strict=True))


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
        "purchase_date": pd.Timestamp(2026, 3, 15),
        "vendor_name": "GE Healthcare",
        "sku": "00123",
        "mfr_part_number": "",
        "description": "",
        "uom": "",
        "invoice_number": "",
        "po_number": "",
        "quantity_e4": 20_000,
        "unit_price_e4": 12_345_600,
        "extended_cents": 246_912,
        "has_extended": True,
        "spend_cents": 246_912,
    }
    assert result.lines.dtypes[MONEY_COLUMNS].tolist() == [np.dtype(np.int64)] * 4
    assert result.lines["has_extended"].dtype == np.dtype(bool)
    assert result.lines["row_number"].dtype == np.dtype(np.int64)
    assert pd.api.types.is_datetime64_dtype(result.lines["purchase_date"])
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


# --- workbooks made the way finance tools make them ---------------------------------------------------------------


def finance_workbook(tmp_path: Path, rows: list[list[object]], name: str = "purchases.xlsx") -> Path:
    """An openpyxl workbook with two title rows, a blank row, a header, the given rows and a total row."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "AP Export"
    sheet.append(["Alpha Radiology - Accounts Payable"])
    sheet.append(["Period: Q1 2026"])
    sheet.append([])
    sheet.append(["Invoice Date", "Supplier", "Catalog No", "Description", "Qty", "UOM", "Unit Cost", "Line Total"])
    for row in rows:
        sheet.append(row)
    sheet.append([None, "Total", None, None, None, None, None, 999])
    path = tmp_path / name
    workbook.save(path)
    return path


def test_xlsx_header_found_under_title_rows_and_total_row_skipped(tmp_path: Path) -> None:
    path = finance_workbook(
        tmp_path,
        [
            [datetime.date(2026, 3, 15), "GE Healthcare", 123, "Omnipaque 350", 10, "EA", 12.3, 123],
            [46097, "Bayer", "00456", "Gadavist", 2, "BX", "$1,234.56", "(12.00)"],
        ],
    )

    result = ingest_file(path)

    assert (result.file_format, result.sheet_name, result.header_row) == ("xlsx", "AP Export", 4)
    assert result.lines["row_number"].tolist() == [5, 6]
    assert dates(result) == [datetime.date(2026, 3, 15), datetime.date(2026, 3, 16)]
    assert result.lines["sku"].tolist() == ["123", "00456"]  # a number cell stays text; text keeps its zeros
    assert money(result) == [(100_000, 123_000, 12_300, 12_300), (20_000, 12_345_600, -1_200, -1_200)]
    assert (result.rows_total, result.rows_skipped, result.errors) == (2, 1, [])
    assert result.accepted_total == result.file_total == Decimal("111.00")


def test_formula_without_saved_value_is_a_row_error_not_zero(tmp_path: Path) -> None:
    path = finance_workbook(tmp_path, [[datetime.date(2026, 3, 15), "GE", "1", "x", 2, "EA", 3, "=E5*G5"]])

    result = ingest_file(path)

    assert [(error.row, error.column, error.reason) for error in result.errors] == [
        (5, "Line Total", "extended amount is a formula with no saved value")
    ]
    assert len(result.lines) == 0


def test_error_cell_is_a_row_error_naming_the_error(tmp_path: Path) -> None:
    path = finance_workbook(tmp_path, [[datetime.date(2026, 3, 15), "GE", "1", "x", 2, "EA", 3, "#DIV/0!"]])
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    workbook.active["H5"].data_type = "e"
    workbook.save(path)

    result = ingest_file(path)

    assert [(error.row, error.column, error.reason) for error in result.errors] == [
        (5, "Line Total", "extended amount is an error value (#DIV/0!)")
    ]


def test_ods_written_by_pandas_odf_is_read(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "purchases.ods"
    frame = pd.DataFrame(
        {"Date": ["2026-03-15", "03/16/2026"], "Vendor": ["GE", "Bayer"], "Qty": [2, 3], "Price": [1.5, 2.25]}
    )
    frame.to_excel(path, engine="odf", index=False, sheet_name="Purchases")  # type: ignore[arg-type]

    result = ingest_file(path)

    assert result.file_format == "ods"
    assert result.lines["row_number"].tolist() == [2, 3]
    assert money(result) == [(20_000, 15_000, None, 300), (30_000, 22_500, None, 675)]


def test_chosen_sheet_is_read(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["nothing here"])
    sheet = workbook.create_sheet("Q2")
    sheet.append(["Date", "Vendor", "Qty", "Amount"])
    sheet.append(["4/1/26", "GE", 4, 40])
    path = tmp_path / "two_sheets.xlsx"
    workbook.save(path)

    result = ingest_file(path, sheet="Q2")

    assert dates(result) == [datetime.date(2026, 4, 1)]
    assert money(result) == [(40_000, 100_000, 4_000, 4_000)]
    with pytest.raises(IngestError, match="no sheet named 'Q3'"):
        ingest_file(path, sheet="Q3")


def test_xls_read_when_libreoffice_converts_one(tmp_path: Path) -> None:
    import shutil
    import subprocess

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice (soffice) is not installed: no way to write a real .xls here")
    source = finance_workbook(tmp_path, [[datetime.date(2026, 3, 15), "GE", "1", "x", 2, "EA", 3, 6]])
    subprocess.run([office, "--headless", "--convert-to", "xls", "--outdir", str(tmp_path), str(source)], check=True)

    result = ingest_file(tmp_path / "purchases.xls")

    assert result.file_format == "xls"
    assert result.lines["spend_cents"].tolist() == [600]


# --- csv encodings and delimiters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        pytest.param("utf-8-sig", ",", id="utf8_bom_comma"),
        pytest.param("utf-8", ";", id="utf8_semicolon"),
        pytest.param("cp1252", "\t", id="cp1252_tab"),
        pytest.param("utf-8", "|", id="utf8_pipe"),
    ],
)
def test_csv_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    lines = [["Date", "Vendor", "Qty", "Unit Price"], ["03/15/2026", "Société Générale Médical", "2", "1.50"]]
    text = "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"
    path = write(tmp_path, text, encoding=encoding)

    result = ingest_file(path)

    assert result.lines["vendor_name"].tolist() == ["Société Générale Médical"]
    assert result.lines["spend_cents"].tolist() == [300]


def test_csv_row_numbers_are_physical_lines_with_multiline_cells(tmp_path: Path) -> None:
    text = 'Date,Vendor,Description,Qty,Price\n3/1/26,GE,"two\nlines",1,2\n\n3/2/26,,x,1,2\n'
    path = write(tmp_path, text)

    result = ingest_file(path)

    assert result.lines["row_number"].tolist() == [2]
    assert [(error.row, error.reason) for error in result.errors] == [(5, "vendor is blank")]
    assert result.rows_skipped == 1


# --- every rejection reason -----------------------------------------------------------------------------------------

REASON_CASES = [
    pytest.param(",GE,1,2,3,6", "Invoice Date", "date is missing", id="date_missing"),
    pytest.param("02/30/2026,GE,1,2,3,6", "Invoice Date", "date is unreadable: '02/30/2026'", id="date_impossible"),
    pytest.param("soon,GE,1,2,3,6", "Invoice Date", "date is unreadable: 'soon'", id="date_text"),
    pytest.param("3/15/26,  ,1,2,3,6", "Vendor", "vendor is blank", id="vendor_blank"),
    pytest.param("3/15/26,GE,1,N/A,3,6", "Qty", "quantity is unreadable: 'N/A'", id="quantity_na"),
    pytest.param("3/15/26,GE,1,2,abc,6", "Unit Price", "unit price is unreadable: 'abc'", id="price_text"),
    pytest.param(
        '3/15/26,GE,1,2,3,"1 234,00"', "Extended", "extended amount is unreadable: '1 234,00'", id="european_amount"
    ),
    pytest.param(
        "3/15/26,GE,1,2,,",
        "Unit Price",
        "fewer than two of quantity, unit price and extended amount",
        id="one_number_only",
    ),
    pytest.param(
        "3/15/26,GE,1,,0,6", "Unit Price", "unit price is zero: the quantity cannot be derived", id="zero_price"
    ),
    pytest.param("3/15/26,GE,1,0,3,0", "Qty", "quantity is zero", id="quantity_zero_given"),
    pytest.param("3/15/26,GE,1,,3,0", "Qty", "quantity is zero", id="quantity_zero_derived"),
]


@pytest.mark.parametrize(("row", "column", "reason"), REASON_CASES)
def test_row_rejected_with_reason(tmp_path: Path, row: str, column: str, reason: str) -> None:
    path = write(tmp_path, HEADER + "3/14/26,GE,1,1,1,1\n" + row + "\n")

    result = ingest_file(path)

    assert [(error.row, error.column, error.reason) for error in result.errors] == [(3, column, reason)]
    assert result.lines["row_number"].tolist() == [2]
    assert result.rows_total == 2


def test_third_number_is_derived_from_the_other_two(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "3/15/26,GE,1,4,,10.00\n3/15/26,GE,1,,2.5,10.00\n3/15/26,GE,1,3,0.3333,\n")

    result = ingest_file(path)

    assert money(result) == [(40_000, 25_000, 1_000, 1_000), (40_000, 25_000, 1_000, 1_000), (30_000, 3_333, None, 100)]
    assert result.accepted_total == Decimal("21.00")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param('"$1,234.56"', Decimal("1234.56"), id="dollars_grouped"),
        pytest.param("(12.00)", Decimal("-12.00"), id="parentheses"),
        pytest.param("-12", Decimal("-12.00"), id="minus"),
        pytest.param("12.00-", Decimal("-12.00"), id="trailing_minus"),
        pytest.param("\u00a0$ 7.5\u00a0", Decimal("7.50"), id="nbsp"),
        pytest.param("−3.25", Decimal("-3.25"), id="unicode_minus"),
        pytest.param("2.345", Decimal("2.35"), id="half_up_to_cents"),
    ],
)
def test_money_text_parsed_exactly(tmp_path: Path, cell: str, expected: Decimal) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,1,1,{cell}\n")

    result = ingest_file(path)

    assert result.lines["extended_cents"].tolist() == [int(expected * 100)]


# --- integer money: quantity and unit price x 10^4, amounts in cents, half away from zero ----------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param('"$1,234.56"', 12_345_600, id="dollars_grouped"),
        pytest.param("(12.00)", -120_000, id="parentheses"),
        pytest.param("1.23456", 12_346, id="five_places_half_up"),
        pytest.param("1.23455", 12_346, id="exact_half_up"),
        pytest.param("1.23454", 12_345, id="below_half_down"),
        pytest.param("-1.00005", -10_001, id="negative_half_away_from_zero"),
        pytest.param("1E3", 10_000_000, id="exponent"),
        pytest.param("2.5e-1", 2_500, id="negative_exponent"),
        pytest.param(".5", 5_000, id="no_integer_digits"),
        pytest.param("-.25", -2_500, id="negative_no_integer_digits"),
        pytest.param("7.", 70_000, id="trailing_point"),
        pytest.param("0.00004", 0, id="below_the_fourth_place"),
        pytest.param("00012.5", 125_000, id="leading_zeros"),
        pytest.param("99999999999999.9999", 999_999_999_999_999_999, id="largest_stored"),
    ],
)
def test_unit_price_text_scaled_to_integer_e4(tmp_path: Path, cell: str, expected: int) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,1,{cell},1.00\n")  # extended given: spend is 1.00

    result = ingest_file(path)

    assert result.errors == []
    assert result.lines["unit_price_e4"].tolist() == [expected]


@pytest.mark.parametrize(
    ("cell", "expected", "spend"),
    [
        pytest.param("12", 120_000, 1_200, id="integer"),
        pytest.param("2.00005", 20_001, 200, id="half_up"),
        pytest.param("-2.00005", -20_001, -200, id="half_away_from_zero"),
        pytest.param("1E3", 10_000_000, 100_000, id="exponent"),
        pytest.param('"1,500"', 15_000_000, 150_000, id="grouped"),
    ],
)
def test_quantity_text_scaled_to_integer_e4(tmp_path: Path, cell: str, expected: int, spend: int) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,{cell},1,\n")

    result = ingest_file(path)

    assert result.lines["quantity_e4"].tolist() == [expected]
    assert result.lines["spend_cents"].tolist() == [spend]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param("2.345", 235, id="half_up"),
        pytest.param("-2.345", -235, id="half_away_from_zero"),
        pytest.param("0.005", 1, id="half_cent"),
        pytest.param("1e2", 10_000, id="exponent"),
        pytest.param("99999999999999.99", 9_999_999_999_999_999, id="largest_stored"),
    ],
)
def test_extended_amount_text_to_cents(tmp_path: Path, cell: str, expected: int) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,1,,{cell}\n")

    result = ingest_file(path)

    assert result.lines[["extended_cents", "spend_cents"]].values.tolist() == [[expected, expected]]
    assert result.lines["has_extended"].tolist() == [True]


@pytest.mark.parametrize(
    ("quantity", "extended", "expected"),
    [
        pytest.param("3", "10.00", 33_333, id="thirds"),
        pytest.param("3", "-10.00", -33_333, id="negative_thirds"),
        pytest.param("3", "20.00", 66_667, id="thirds_up"),
        pytest.param("8", "0.01", 13, id="half_up"),
        pytest.param("8", "-0.01", -13, id="half_away_from_zero"),
        pytest.param("0.0003", "0.01", 333_333, id="small_quantity"),
        pytest.param("-4", "10.00", -25_000, id="negative_quantity"),
    ],
)
def test_unit_price_derived_exactly_and_rounded_once(
    tmp_path: Path, quantity: str, extended: str, expected: int
) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,{quantity},,{extended}\n")

    result = ingest_file(path)

    assert result.lines["unit_price_e4"].tolist() == [expected]
    assert result.lines["spend_cents"].tolist() == [int(Decimal(extended) * 100)]


@pytest.mark.parametrize(
    ("price", "extended", "expected"),
    [
        pytest.param("3", "10.00", 33_333, id="thirds"),
        pytest.param("3", "20.00", 66_667, id="thirds_up"),
        pytest.param("8", "0.01", 13, id="half_up"),
        pytest.param("-8", "0.01", -13, id="half_away_from_zero"),
        pytest.param("0.0007", "0.01", 142_857, id="small_price"),
    ],
)
def test_quantity_derived_exactly_and_rounded_once(tmp_path: Path, price: str, extended: str, expected: int) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,,{price},{extended}\n")

    result = ingest_file(path)

    assert result.lines["quantity_e4"].tolist() == [expected]
    assert result.lines["unit_price_e4"].tolist() == [int(Decimal(price) * 10_000)]


@pytest.mark.parametrize(
    ("quantity", "price", "expected"),
    [
        pytest.param("1", "0.005", 1, id="half_cent_up"),
        pytest.param("1", "-0.005", -1, id="half_cent_away_from_zero"),
        pytest.param("1", "0.0049", 0, id="below_half_cent"),
        pytest.param("0.5", "0.01", 1, id="half_of_a_cent"),
        pytest.param("3", "0.3333", 100, id="four_place_price"),
        pytest.param("1", "1.23456", 123, id="from_the_rounded_price"),
        # 99,999,999 x 99,999 overflows int64 once scaled (10^12 x 10^9): computed with Python integers.
        pytest.param("99999999", "99999", 999_989_990_000_100, id="beyond_int64_product"),
    ],
)
def test_spend_is_cents_of_quantity_times_price(tmp_path: Path, quantity: str, price: str, expected: int) -> None:
    path = write(tmp_path, HEADER + f"3/15/26,GE,1,{quantity},{price},\n")

    result = ingest_file(path)

    assert result.lines["spend_cents"].tolist() == [expected]
    assert result.lines[["extended_cents", "has_extended"]].values.tolist() == [[0, False]]
    assert result.accepted_total == result.file_total == Decimal(expected) / 100


TOO_LARGE_CASES = [
    pytest.param("1,1e20,", "Unit Price", "unit price is too large: '1e20'", id="price_exponent"),
    pytest.param("1,1e999999999999,", "Unit Price", "unit price is too large: '1e999999999999'", id="huge_exponent"),
    pytest.param("100000000000000,1,", "Qty", "quantity is too large: '100000000000000'", id="quantity_digits"),
    pytest.param(
        "99999999999999.99995,1,", "Qty", "quantity is too large: '99999999999999.99995'", id="quantity_rounds_up"
    ),
    pytest.param(
        '1,,"$100,000,000,000,000.00"',
        "Extended",
        "extended amount is too large: '$100,000,000,000,000.00'",
        id="amount",
    ),
    pytest.param(
        "0.0001,,99999999999.99", "Extended", "unit price (extended amount / quantity) is too large", id="derived_price"
    ),
    pytest.param(
        ",0.0001,99999999999.99", "Extended", "quantity (extended amount / unit price) is too large", id="derived_qty"
    ),
    pytest.param(
        "99999999,99999999,", "Unit Price", "spend (quantity x unit price) is too large", id="spend_from_product"
    ),
]


@pytest.mark.parametrize(("numbers", "column", "reason"), TOO_LARGE_CASES)
def test_values_too_large_for_the_database_are_rejected(tmp_path: Path, numbers: str, column: str, reason: str) -> None:
    path = write(tmp_path, HEADER + "3/14/26,GE,1,1,1,1\n" + f"3/15/26,GE,1,{numbers}\n")

    result = ingest_file(path)

    assert [(error.row, error.column, error.reason) for error in result.errors] == [(3, column, reason)]
    assert result.lines["row_number"].tolist() == [2]
    assert result.accepted_total == Decimal("1.00")


def test_quantity_rounding_to_zero_at_four_places_is_zero(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "3/15/26,GE,1,0.00004,,5.00\n")

    result = ingest_file(path)

    assert [(error.column, error.reason) for error in result.errors] == [("Qty", "quantity is zero")]


def test_totals_beyond_int64_are_exact(tmp_path: Path) -> None:
    body = "3/15/26,GE,1,1,,99999999999999.99\n" * 500  # 5 x 10^18 cents: more than int64 holds summed
    path = write(tmp_path, HEADER + body)

    result = ingest_file(path)

    assert len(result.lines) == 500
    assert result.accepted_total == result.file_total == Decimal("99999999999999.99") * 500


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param("2026-03-15", datetime.date(2026, 3, 15), id="iso"),
        pytest.param("03/15/2026", datetime.date(2026, 3, 15), id="us"),
        pytest.param("3/5/26", datetime.date(2026, 3, 5), id="us_short"),
        pytest.param("15-Mar-2026", datetime.date(2026, 3, 15), id="day_month_name"),
        pytest.param("02-Jun-06", datetime.date(2006, 6, 2), id="day_month_name_short_year"),
        pytest.param('"Mar 15, 2026"', datetime.date(2026, 3, 15), id="month_name_first"),
        pytest.param("46096", datetime.date(2026, 3, 15), id="excel_serial"),
    ],
)
def test_text_dates_parsed(tmp_path: Path, cell: str, expected: datetime.date) -> None:
    path = write(tmp_path, HEADER + f"{cell},GE,1,1,1,1\n")

    result = ingest_file(path)

    assert dates(result) == [expected]


def test_blank_and_summary_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    body = "3/15/26,GE,1,1,1,1\n,,,,,\n , \t,,,,\n,Subtotal,,,,1\nTOTAL,,,,,1\n3/16/26,GE,1,1,1,1\n,,,,,\n"
    path = write(tmp_path, HEADER + body)

    result = ingest_file(path)

    assert result.lines["row_number"].tolist() == [2, 7]
    assert (result.rows_total, result.rows_skipped, result.errors) == (2, 4, [])


def test_mapping_correction_overrides_detection(tmp_path: Path) -> None:
    text = "Invoice Date,Ship Date,Vendor,Qty,Unit Price\n03/01/2026,03/09/2026,GE,1,2\n"
    path = write(tmp_path, text)

    detected = ingest_file(path)
    corrected = ingest_file(path, mapping={"purchase_date": "Ship Date"})

    assert dates(detected) == [datetime.date(2026, 3, 1)]
    assert corrected.mapping["purchase_date"] == "Ship Date"
    assert dates(corrected) == [datetime.date(2026, 3, 9)]


def test_mapping_naming_a_missing_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "3/15/26,GE,1,1,1,1\n")

    with pytest.raises(IngestError, match="'Cost' chosen for unit price is not in the header row"):
        ingest_file(path, mapping={"unit_price": "Cost"})


def test_fuzzy_header_match_for_misspelt_names(tmp_path: Path) -> None:
    path = write(tmp_path, "Invoce Date,Vendor Nme,Quantty,Unit Prce\n3/15/26,GE,2,3\n")

    result = ingest_file(path)

    assert result.mapping == {
        "purchase_date": "Invoce Date",
        "vendor_name": "Vendor Nme",
        "quantity": "Quantty",
        "unit_price": "Unit Prce",
    }


def test_file_without_recognisable_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "alpha,beta,gamma\n1,2,3\n")

    with pytest.raises(IngestError, match="No header row found"):
        ingest_file(path)


def test_too_many_rows_refused(tmp_path: Path, settings: object) -> None:
    settings.UPLOAD_MAX_ROWS = 3  # type: ignore[attr-defined]
    path = write(tmp_path, HEADER + "3/15/26,GE,1,1,1,1\n" * 20)

    with pytest.raises(IngestError, match="more than 3 "):
        ingest_file(path)


def test_too_many_columns_refused(tmp_path: Path, settings: object) -> None:
    settings.UPLOAD_MAX_COLUMNS = 5  # type: ignore[attr-defined]
    path = write(tmp_path, HEADER + "3/15/26,GE,1,1,1,1\n")

    with pytest.raises(IngestError, match="6 columns"):
        ingest_file(path)


def test_progress_reported_to_100(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "3/15/26,GE,1,1,1,1\n")
    seen: list[int] = []

    ingest_file(path, progress=seen.append)

    assert seen[-1] == 100
    assert seen == sorted(seen)


# --- golden: the real SCMS delivery history (PROVENANCE.md) --------------------------------------------------------


def scms_expectations(path: Path, date_column: str) -> tuple[int, dict[str, int], Decimal]:
    """Accepted count, rejection reasons and accepted total by plain csv-module logic of the same DESIGN §5 rules."""
    import csv
    from collections import Counter

    from gpo.money import cents

    def parse_date(text: str) -> datetime.date | None:
        for date_format in ("%d-%b-%y", "%m/%d/%y", "%Y-%m-%d", "%m/%d/%Y"):
            try:
                return datetime.datetime.strptime(text.strip(), date_format).date()  # noqa: DTZ007
            except ValueError:
                continue
        return None

    accepted, total, reasons = 0, Decimal("0.00"), Counter[str]()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            date_text = row[date_column].strip()
            if not date_text:
                reasons["date is missing"] += 1
            elif parse_date(date_text) is None:
                reasons[f"date is unreadable: {date_text!r}"] += 1
            elif not row["Vendor"].strip():
                reasons["vendor is blank"] += 1
            elif Decimal(row["Line Item Quantity"]) == 0:
                reasons["quantity is zero"] += 1
            else:
                accepted += 1
                total += cents(Decimal(row["Line Item Value"]))
    return accepted, dict(reasons), total


@pytest.mark.slow
def test_golden_scms_delivery_history(real_data: Path) -> None:
    path = real_data / "scms_delivery_history.csv"
    accepted, reasons, total = scms_expectations(path, "Delivered to Client Date")

    result = ingest_file(path)

    assert result.mapping == SCMS_MAPPING
    assert (accepted, reasons) == (10_324, {})
    assert (len(result.lines), len(result.errors), result.rows_skipped) == (10_324, 0, 0)
    assert result.rows_total == 10_324
    assert result.lines["row_number"].tolist() == list(range(2, 10_326))
    assert result.accepted_total == total == Decimal(int(result.lines["spend_cents"].sum())) / 100
    assert result.accepted_total == Decimal("1627584457.29")
    assert result.file_total == result.accepted_total
    first = result.lines.iloc[0]
    assert (first["purchase_date"], first["vendor_name"], first["po_number"]) == (
        pd.Timestamp(2006, 6, 2),
        "RANBAXY Fine Chemicals LTD.",
        "SCMS-4",
    )
    assert (first["quantity_e4"], first["unit_price_e4"], first["spend_cents"]) == (190_000, 290_000, 55_100)


@pytest.mark.slow
def test_golden_scms_placeholders_become_row_errors_when_mapped(real_data: Path) -> None:
    """Mapped to "PO Sent to Vendor Date", the placeholder texts are rejected with their reason, never guessed."""
    path = real_data / "scms_delivery_history.csv"
    accepted, reasons, total = scms_expectations(path, "PO Sent to Vendor Date")

    result = ingest_file(path, mapping={"purchase_date": "PO Sent to Vendor Date"})

    assert accepted == 4_592
    assert reasons == {"date is unreadable: 'N/A - From RDC'": 5_404, "date is unreadable: 'Date Not Captured'": 328}
    assert len(result.lines) == accepted
    assert {error.column for error in result.errors} == {"PO Sent to Vendor Date"}
    from collections import Counter

    assert Counter(error.reason for error in result.errors) == reasons
    assert result.rows_total == 10_324
    assert result.accepted_total == total == Decimal(int(result.lines["spend_cents"].sum())) / 100
    assert result.file_total == Decimal("1627584457.29")


@pytest.mark.slow
def test_golden_scms_freight_placeholders_are_unreadable_numbers(real_data: Path) -> None:
    """Mapped as the amount, "Freight Included in Commodity Cost" and similar texts are unreadable numbers."""
    import csv

    path = real_data / "scms_delivery_history.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        freight = [row["Freight Cost (USD)"] for row in csv.DictReader(handle)]
    unreadable = sum(1 for text in freight if text.strip() and not text.replace(".", "", 1).isdigit())

    result = ingest_file(path, mapping={"extended_amount": "Freight Cost (USD)"})

    reasons = {error.reason for error in result.errors}
    assert len(result.errors) == unreadable
    assert "extended amount is unreadable: 'Freight Included in Commodity Cost'" in reasons
    assert len(result.lines) + len(result.errors) == result.rows_total == 10_324


# --- properties -----------------------------------------------------------------------------------------------------


AMOUNTS = st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2)


def finance_spelling(amount: Decimal, style: int) -> str:
    """The ways accounting exports spell an amount."""
    if style == 0:
        return f"{amount:.2f}"
    if style == 1:
        return f'"${abs(amount):,.2f}"' if amount >= 0 else f'"(${abs(amount):,.2f})"'
    if style == 2:
        return f'"{abs(amount):,.2f}"' if amount >= 0 else f"{abs(amount):.2f}-"
    return f'"\u00a0{amount:,.2f}\u00a0"'


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.tuples(AMOUNTS, st.integers(0, 3)), min_size=1, max_size=20))
def test_amounts_in_any_finance_spelling_parse_exactly(tmp_path: Path, amounts: list[tuple[Decimal, int]]) -> None:
    body = "".join(f"3/15/26,GE,1,1,1,{finance_spelling(amount, style)}\n" for amount, style in amounts)
    path = write(tmp_path, HEADER + body)

    result = ingest_file(path)

    assert result.lines["extended_cents"].tolist() == [int(amount * 100) for amount, _ in amounts]
    assert result.accepted_total == sum((amount for amount, _ in amounts), Decimal("0.00"))
