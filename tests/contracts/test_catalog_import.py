"""import_catalog: the DESIGN §7 workbook, validated first, written in one transaction, idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contracts.catalog_import import CatalogImportError, catalog_import
from contracts.models import CatalogChange, Contract, ContractItem, ContractPrice, Participation
from gpo.members.models import Practice
from tests.contracts import listening
from tests.contracts.workbooks import workbook_write
from vendors.models import Category, Vendor, VendorAlias


@pytest.fixture(autouse=True)
def _broker_configured(settings):
    """These tests pin down the after-commit behaviour of a real broker (gpo.jobs.run_after_commit).

    Celery itself still executes in-process: its configuration is read once per process, so pin it explicitly.
    """
    from gpo.celery import app as celery_app

    eager_before = celery_app.conf.task_always_eager  # read (and so load Celery's config) before changing settings
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager_before


pytestmark = pytest.mark.django_db(transaction=True)


def catalog_sheets() -> dict[str, list[list[Any]]]:
    return {
        "Vendors": [
            ["Name", "Category", "Website", "Aliases"],
            [
                "GE Healthcare",
                "Contrast media > Iodinated",
                "https://www.gehealthcare.com",
                "GE HEALTHCARE INC.; GEHC; GE Medical Systems",
            ],
            ["Bayer", "Contrast media", "", ""],
        ],
        "Contracts": [
            # Column order differs from DESIGN §7 on purpose: columns are found by name.
            ["vendor", "number", "title", "start_date", "end_date", "admin_fee_pct", "discount_pct"],
            ["GE Healthcare", "GPO-100", "Iodinated contrast", date(2026, 1, 1), "2026-12-31", 2, None],
            ["Bayer", "GPO-200", "Bayer percent off", "01/01/2026", "12/31/2026", "1.5", 12.5],
        ],
        "Items": [
            [
                "contract",
                "vendor_sku",
                "manufacturer",
                "mfr_part_number",
                "description",
                "uom",
                "units_per_uom",
                "list_price",
                "category",
            ],
            ["GPO-100", "00407-1413-59", "GE", "OMN-350", "Omnipaque 350 100mL", "each", 1, 12.3, "Contrast media"],
            ["GPO-100", "00407-1414-10", "GE", "OMN-300", "Omnipaque 300 50mL box", "Box", 10, "250.00", ""],
        ],
        "Prices": [
            ["contract", "vendor_sku", "price", "effective_from", "effective_to", "tier", "min_qty"],
            ["GPO-100", "00407-1413-59", 9.87, "2026-01-01", "2026-06-30", "", None],
            ["GPO-100", "00407-1413-59", "9.50", "2026-07-01", None, "", None],
            ["GPO-100", "00407-1413-59", "8.75", "2026-01-01", None, "Tier 1", None],
            ["GPO-100", "00407-1414-10", "200", "2026-01-01", None, "", 10],
        ],
        "Practices": [["name", "slug"], ["Alpha Radiology", "alpha-radiology"]],
        "Participation": [
            ["practice", "contract", "joined_on", "tier"],
            ["alpha-radiology", "GPO-100", "12/15/2025", "Tier 1"],
        ],
    }


@pytest.fixture
def notified(settings: Any) -> Iterator[list[set[int]]]:
    settings.CATALOG_CHANGE_LISTENERS = [listening.PATH]
    listening.HEARD.clear()
    yield listening.HEARD
    listening.HEARD.clear()


def test_import_creates_every_sheet_with_exact_values(tmp_path: Path) -> None:
    path = workbook_write(tmp_path / "catalog.xlsx", catalog_sheets())

    summary = catalog_import(path=path)

    assert summary.lines() == [
        "Vendors: 2 created, 0 updated, 0 unchanged",
        "Contracts: 2 created, 0 updated, 0 unchanged",
        "Items: 2 created, 0 updated, 0 unchanged",
        "Prices: 4 created, 0 updated, 0 unchanged",
        "Practices: 1 created, 0 updated, 0 unchanged",
        "Participation: 1 created, 0 updated, 0 unchanged",
    ]
    ge = Vendor.objects.get(name="GE Healthcare")
    assert ge.slug == "ge-healthcare"
    assert ge.normalized_name == "ge healthcare"
    assert ge.category.name == "Iodinated"
    assert ge.category.parent.name == "Contrast media"
    assert sorted(VendorAlias.objects.filter(vendor=ge).values_list("name", flat=True)) == [
        "GE Medical Systems",
        "GEHC",
    ]  # "GE HEALTHCARE INC." normalises to the vendor's own name: nothing to store
    bayer_contract = Contract.objects.get(number="GPO-200")
    assert bayer_contract.discount_pct == Decimal("12.5")
    assert bayer_contract.admin_fee_pct == Decimal("1.5")
    assert bayer_contract.status == Contract.Status.ACTIVE
    assert bayer_contract.start_date == date(2026, 1, 1)
    item = ContractItem.objects.get(vendor_sku="00407-1413-59")
    assert item.list_price == Decimal("12.3")
    assert item.uom == "EA"
    assert item.vendor_sku_normalized == "407141359"
    assert item.mfr_part_normalized == "OMN350"
    box = ContractItem.objects.get(vendor_sku="00407-1414-10")
    assert (box.uom, box.units_per_uom, box.category) == ("BX", 10, None)
    prices = ContractPrice.objects.filter(item=item).order_by("tier", "effective_from")
    assert [(p.price, p.effective_from, p.effective_to, p.tier) for p in prices] == [
        (Decimal("9.87"), date(2026, 1, 1), date(2026, 6, 30), ""),
        (Decimal("9.50"), date(2026, 7, 1), None, ""),
        (Decimal("8.75"), date(2026, 1, 1), None, "Tier 1"),
    ]
    assert ContractPrice.objects.get(item=box).min_qty == Decimal("10")
    participation = Participation.objects.get()
    assert (participation.practice.slug, participation.joined_on, participation.tier) == (
        "alpha-radiology",
        date(2025, 12, 15),
        "Tier 1",
    )
    assert CatalogChange.objects.filter(source="import_catalog").count() == 2 + 2 + 4 + 1


def test_same_workbook_twice_changes_nothing(tmp_path: Path, notified: list[set[int]]) -> None:
    path = workbook_write(tmp_path / "catalog.xlsx", catalog_sheets())
    catalog_import(path=path)
    audit_rows = CatalogChange.objects.count()
    stamps = sorted(ContractPrice.objects.values_list("updated_at", flat=True))
    notified.clear()

    summary = catalog_import(path=path)

    assert not summary.changed
    assert summary.sheets["Prices"].unchanged == 4
    assert summary.sheets["Vendors"].unchanged == 2
    assert summary.sheets["Participation"].unchanged == 1
    assert CatalogChange.objects.count() == audit_rows
    assert sorted(ContractPrice.objects.values_list("updated_at", flat=True)) == stamps
    assert Category.objects.count() == 2
    assert notified == []


def test_changed_price_updates_that_row_and_notifies_listeners(tmp_path: Path, notified: list[set[int]]) -> None:
    sheets = catalog_sheets()
    catalog_import(path=workbook_write(tmp_path / "first.xlsx", sheets))
    notified.clear()
    sheets["Prices"][2][2] = "9.45"

    summary = catalog_import(path=workbook_write(tmp_path / "second.xlsx", sheets))

    assert summary.sheets["Prices"].updated == 1
    assert summary.sheets["Prices"].unchanged == 3
    changed = ContractPrice.objects.get(tier="", effective_from=date(2026, 7, 1))
    assert changed.price == Decimal("9.45")
    audit = CatalogChange.objects.filter(action=CatalogChange.Action.UPDATED).get()
    assert audit.object_id == changed.id
    assert audit.detail["price"] == ["9.5", "9.45"]
    ge = Vendor.objects.get(name="GE Healthcare")
    assert notified == [{ge.id}]


def test_workbook_with_errors_writes_nothing_and_lists_each(tmp_path: Path) -> None:
    sheets = catalog_sheets()
    sheets["Vendors"][2][2] = "not a url"
    sheets["Contracts"][1][4] = "2025-12-31"  # before its start
    sheets["Contracts"][2][6] = "150"
    sheets["Items"][2][7] = "-3"
    sheets["Prices"][2][2] = "N/A"
    sheets["Prices"][3][3] = "2026-06-15"  # Tier 1 row stays alone; make the blank-tier windows clash instead
    sheets["Prices"].append(["GPO-100", "00407-1413-59", "9.00", "2026-06-01", "2026-07-15", "", None])
    sheets["Prices"].append(["GPO-999", "X1", "1", "2026-01-01", None, "", None])
    sheets["Participation"].append(["nobody", "GPO-100", "13/45/2026", ""])
    path = workbook_write(tmp_path / "bad.xlsx", sheets)

    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=path)

    assert raised.value.errors == [
        "Vendors!3 website: 'not a url' is not a web address (https://...)",
        "Contracts!2 end_date: The end date must be on or after the start date.",
        "Contracts!3 discount_pct: The discount must be a percentage above 0 and below 100"
        " (12.5 means 12.5 % off list).",
        "Items!3 list_price: The list price must be greater than 0.",
        "Prices!3 price: 'N/A' is not a number",
        "Prices!7 vendor_sku: no item 'X1' on contract GPO-999 in the Items sheet or the catalog",
        "Prices!6 effective_from: window overlaps the price of row 2",
        "Participation!3 practice: no practice with slug 'nobody' in the Practices sheet or the catalog",
        "Participation!3 joined_on: '13/45/2026' is not a date (use YYYY-MM-DD or MM/DD/YYYY)",
    ]
    assert Vendor.objects.count() == 0
    assert Contract.objects.count() == 0
    assert ContractPrice.objects.count() == 0
    assert Practice.objects.count() == 0
    assert CatalogChange.objects.count() == 0


def test_missing_sheets_are_empty_and_missing_required_column_is_reported(tmp_path: Path) -> None:
    path = workbook_write(tmp_path / "partial.xlsx", {"vendors": [["NAME"], ["Acme Imaging"]], "Items": [["contract"]]})

    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=path)

    assert raised.value.errors == ["Items!1 vendor_sku: required column is missing"]
    assert Vendor.objects.count() == 0


def test_alias_of_another_vendor_is_refused(tmp_path: Path) -> None:
    sheets = catalog_sheets()
    sheets["Vendors"][2][3] = "GEHC"

    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=workbook_write(tmp_path / "alias.xlsx", sheets))

    assert raised.value.errors == [
        "Vendors!3 aliases: alias 'GEHC' is already given to vendor 'ge healthcare' in this sheet"
    ]


def test_dry_run_reports_the_same_summary_and_writes_nothing(tmp_path: Path) -> None:
    path = workbook_write(tmp_path / "catalog.xlsx", catalog_sheets())

    preview = catalog_import(path=path, dry_run=True)

    assert Vendor.objects.count() == 0
    assert CatalogChange.objects.count() == 0
    assert preview.lines() == catalog_import(path=path).lines()


def test_command_prints_summary_and_fails_with_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = workbook_write(tmp_path / "catalog.xlsx", catalog_sheets())
    call_command("import_catalog", str(good))
    assert "Prices: 4 created, 0 updated, 0 unchanged" in capsys.readouterr().out

    sheets = catalog_sheets()
    sheets["Prices"][1][2] = "0"
    with pytest.raises(CommandError) as raised:
        call_command("import_catalog", str(workbook_write(tmp_path / "bad.xlsx", sheets)))
    assert "Prices!2 price: The price must be greater than 0." in str(raised.value)


def test_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n not a workbook")

    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=path)

    assert raised.value.errors[0].startswith("workbook: cannot be read as a spreadsheet")


def test_references_to_unknown_vendor_and_contract_are_reported(tmp_path: Path) -> None:
    path = workbook_write(
        tmp_path / "refs.xlsx",
        {
            "Contracts": [
                ["number", "vendor", "title", "start_date", "end_date"],
                ["C-1", "Nobody Inc", "t", "2026-01-01", "2026-12-31"],
            ],
            "Items": [["contract", "vendor_sku"], ["C-404", "X"]],
        },
    )

    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=path)

    assert raised.value.errors == [
        "Contracts!2 vendor: no vendor named 'Nobody Inc' in the Vendors sheet or the catalog",
        "Items!2 contract: no contract C-404 in the Contracts sheet or the catalog",
    ]


def test_existing_catalog_rows_can_be_referenced_by_a_later_workbook(tmp_path: Path) -> None:
    catalog_import(path=workbook_write(tmp_path / "first.xlsx", catalog_sheets()))
    later = {
        "Prices": [
            ["contract", "vendor_sku", "price", "effective_from", "tier"],
            ["GPO-100", "407-1414-10", "190", "2027-01-01", ""],
        ]
    }

    summary = catalog_import(path=workbook_write(tmp_path / "later.xlsx", later))

    assert summary.sheets["Prices"].created == 1
    assert ContractPrice.objects.filter(effective_from=date(2027, 1, 1)).get().price == Decimal("190")
