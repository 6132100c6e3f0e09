"""import_price_list: a vendor's list for one contract, a multi-contract list, and the real VA FSS schedule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contracts.models import CatalogChange, Contract, ContractItem, ContractPrice
from contracts.price_list import PriceListImportError, price_list_import
from tests.contracts.workbooks import workbook_write
from tests.factories import ContractFactory, ContractItemFactory, ContractPriceFactory
from vendors.models import Vendor
from vendors.normalize import normalize_sku, normalize_vendor_name

pytestmark = pytest.mark.django_db


def test_single_contract_list_with_mapped_columns_closes_open_windows(tmp_path: Path) -> None:
    contract = ContractFactory(number="GPO-7")
    item = ContractItemFactory(contract=contract, vendor_sku="0123-45")
    old = ContractPriceFactory(item=item, price=Decimal("10"), effective_from=date(2026, 1, 1), effective_to=None)
    gold = ContractPriceFactory(item=item, price=Decimal("9"), effective_from=date(2026, 1, 1), tier="Gold")
    path = workbook_write(
        tmp_path / "list.xlsx",
        {
            "Sheet1": [
                ["Item #", "Item Description", "Net", "Valid From", "UOM", "Case Qty"],
                ["0123-45", "Syringe", "9.5", "07/01/2026", "CS", 10],
                ["000987", "Gown", 12.3, date(2026, 7, 1), "each", None],
            ]
        },
    )

    summary = price_list_import(
        path=path,
        contract_number="GPO-7",
        mapping={"vendor_sku": "Item #", "price": "Net", "effective_from": "Valid From", "units_per_uom": "Case Qty"},
    )

    assert (summary.rows_loaded, summary.items_created, summary.prices_created, summary.prices_closed) == (2, 1, 2, 1)
    old.refresh_from_db()
    assert old.effective_to == date(2026, 6, 30)
    gold.refresh_from_db()
    assert gold.effective_to is None  # another tier keeps its window
    gown = ContractItem.objects.get(vendor_sku="000987")
    assert (gown.vendor_sku_normalized, gown.description, gown.uom) == ("987", "Gown", "EA")
    assert ContractPrice.objects.get(item=gown).price == Decimal("12.3")
    new = ContractPrice.objects.get(item=item, effective_from=date(2026, 7, 1))
    assert (new.price, new.effective_to, new.tier) == (Decimal("9.5"), None, "")
    assert CatalogChange.objects.filter(source="import_price_list").count() == 1 + 2 + 1  # item, prices, closed


def test_same_list_twice_changes_nothing(tmp_path: Path) -> None:
    ContractFactory(number="GPO-7")
    sheets = {"Prices": [["sku", "price", "effective_from"], ["A-1", "5.00", "2026-01-01"], ["B-2", "6", "2026-01-01"]]}
    path = workbook_write(tmp_path / "list.xlsx", sheets)
    price_list_import(path=path, contract_number="GPO-7")
    audits = CatalogChange.objects.count()

    again = price_list_import(path=path, contract_number="GPO-7")

    assert (again.prices_created, again.prices_updated, again.prices_unchanged, again.items_unchanged) == (0, 0, 2, 2)
    assert CatalogChange.objects.count() == audits


def test_bad_rows_are_each_reported_and_nothing_is_written(tmp_path: Path) -> None:
    ContractFactory(number="GPO-7")
    path = workbook_write(
        tmp_path / "bad.xlsx",
        {
            "Prices": [
                ["sku", "price", "effective_from", "effective_to"],
                ["A-1", "5.00", "2026-01-01", None],
                ["", "5.00", "2026-01-01", None],
                ["B-2", "N/A", "2026-01-01", None],
                ["C-3", "1.23456", "2026-01-01", None],
                ["D-4", "2", "someday", None],
                ["E-5", "2", "2026-02-01", "2026-01-01"],
            ]
        },
    )

    with pytest.raises(PriceListImportError) as raised:
        price_list_import(path=path, contract_number="GPO-7")

    assert raised.value.errors == [
        "row 3 vendor_sku: is required",
        "row 4 price: 'N/A' is not a number",
        "row 5 price: 1.23456 has more than 4 decimal places",
        "row 6 effective_from: 'someday' is not a date (use YYYY-MM-DD or MM/DD/YYYY)",
        "row 7 effective_to: is before effective_from",
    ]
    assert ContractItem.objects.count() == 0
    assert CatalogChange.objects.count() == 0


def test_unknown_contract_and_missing_column_are_refused(tmp_path: Path) -> None:
    path = workbook_write(tmp_path / "list.xlsx", {"P": [["sku", "cost"], ["A", "1"]]})

    with pytest.raises(PriceListImportError) as raised:
        price_list_import(path=path, contract_number="NOPE")

    assert raised.value.errors == ["row 1 price: required column not found"]


def test_multi_contract_list_creates_vendors_contracts_and_tiers(tmp_path: Path) -> None:
    header = [
        "ContractNumber",
        "VendorName",
        "ContractStartDate",
        "ContractStopDate",
        "NDCWithDashes",
        "TradeName",
        "Price",
        "PriceStartDate",
        "PriceStopDate",
        "PriceType",
    ]
    path = workbook_write(
        tmp_path / "fss.xlsx",
        {
            "Prices": [
                header,
                [
                    "V1",
                    "Bracco Diagnostics Inc.",
                    "01/01/2025",
                    "12/31/2029",
                    "00270-1315-35",
                    "ISOVUE",
                    "3246231.16",
                    "01/01/2025",
                    "12/31/2025",
                    "FSS",
                ],
                [
                    "V1",
                    "BRACCO DIAGNOSTICS, INC",
                    "01/01/2025",
                    "12/31/2029",
                    "00270-1315-35",
                    "ISOVUE",
                    "100.10",
                    "01/01/2025",
                    "12/31/2025",
                    "Big4",
                ],
                [
                    "V2",
                    "Bayer",
                    "01/01/2025",
                    "12/31/2026",
                    "50419-0346-01",
                    "ULTRAVIST",
                    "0.01",
                    "01/01/2025",
                    "12/31/2026",
                    "NC",
                ],
            ]
        },
    )

    summary = call_command_summary(path)

    assert summary == [
        "Rows: 3 read, 3 loaded, 0 rejected",
        "Vendors: 2 created",
        "Contracts: 2 created, 0 updated",
        "Items: 2 created, 0 already there",
        "Prices: 3 created, 0 updated, 0 unchanged, 0 earlier open windows closed",
        "Price list loaded.",
    ]
    item = ContractItem.objects.get(contract__number="V1")
    assert item.vendor_sku == "00270-1315-35"
    prices = {p.tier: p.price for p in item.prices.all()}
    assert prices == {"FSS": Decimal("3246231.16"), "Big4": Decimal("100.10")}
    contract = Contract.objects.get(number="V1")
    assert (contract.vendor.name, contract.start_date, contract.end_date) == (
        "Bracco Diagnostics Inc.",
        date(2025, 1, 1),
        date(2029, 12, 31),
    )


def call_command_summary(path: Path) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("import_price_list", str(path), "--multi", stdout=out)
    return out.getvalue().splitlines()


def test_command_needs_contract_or_multi(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("import_price_list", str(tmp_path / "x.xlsx"))


@pytest.mark.slow
def test_real_va_fss_list_loads_every_row_exactly(real_data: Path) -> None:
    import pandas as pd

    source = real_data / "vaFssPharmPrices.xlsx"
    frame = pd.read_excel(source, sheet_name="Prices", dtype=str, engine="calamine", keep_default_na=False)
    expected_vendors = frame["VendorName"].map(normalize_vendor_name).nunique()
    expected_contracts = frame["ContractNumber"].nunique()
    expected_items = frame.assign(sku=frame["NDCWithDashes"].map(normalize_sku))[["ContractNumber", "sku"]]
    expected_items_count = len(expected_items.drop_duplicates())
    tier_counts = frame["PriceType"].value_counts().to_dict()
    assert (len(frame), expected_vendors, expected_contracts, expected_items_count) == (21160, 496, 656, 15652)

    summary = price_list_import(path=source, multi=True)

    assert (summary.rows_total, summary.rows_loaded, summary.errors) == (21160, 21160, [])
    assert Vendor.objects.count() == expected_vendors
    assert Contract.objects.count() == expected_contracts
    assert ContractItem.objects.count() == expected_items_count
    assert ContractPrice.objects.count() == len(frame)
    stored_tiers = {tier: ContractPrice.objects.filter(tier=tier).count() for tier in tier_counts}
    assert stored_tiers == tier_counts == {"FSS": 14612, "Big4": 5508, "NC": 1040}
    # NDCs byte-for-byte, leading zeros kept; prices exact to the cent.
    stored_skus = set(ContractItem.objects.values_list("contract__number", "vendor_sku"))
    assert stored_skus == set(zip(frame["ContractNumber"], frame["NDCWithDashes"], strict=True))
    stored_prices = {
        (number, sku, tier): price
        for number, sku, tier, price in ContractPrice.objects.values_list(
            "item__contract__number", "item__vendor_sku", "tier", "price"
        )
    }
    file_prices = {
        (number, sku, tier): Decimal(price)
        for number, sku, tier, price in zip(
            frame["ContractNumber"], frame["NDCWithDashes"], frame["PriceType"], frame["Price"], strict=True
        )
    }
    assert stored_prices == file_prices
    assert max(ContractPrice.objects.values_list("price", flat=True)) == Decimal("3246231.16")
    assert ContractItem.objects.filter(vendor_sku="00270-1315-35").exists()


def test_skip_invalid_loads_the_good_rows_and_lists_the_rest(tmp_path: Path) -> None:
    ContractFactory(number="GPO-7")
    path = workbook_write(
        tmp_path / "mixed.xlsx",
        {
            "Prices": [
                ["sku", "price", "effective_from"],
                ["A-1", "5.00", "2026-01-01"],
                ["B-2", "free", "2026-01-01"],
                ["A-1", "4.00", "2026-01-01"],
            ]
        },
    )

    summary = price_list_import(path=path, contract_number="GPO-7", skip_invalid=True)

    assert (summary.rows_total, summary.rows_loaded) == (3, 1)
    assert summary.errors == [
        "row 3 price: 'free' is not a number",
        "row 4 effective_from: repeats a price of the same item, tier and start",
    ]
    assert [str(p.price) for p in ContractPrice.objects.all()] == ["5.0000"]
