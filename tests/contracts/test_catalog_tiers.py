"""The catalog workbook's optional tier and commitment terms: Contracts columns and a Tiers sheet (issue 18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.catalog_import import CatalogImportError, catalog_import
from contracts.models import CatalogChange, Contract, ContractTier
from tests.contracts.workbooks import workbook_write

CONTRACT_HEADER = [
    "number", "vendor", "title", "start_date", "end_date", "tier_basis", "tier_period_months",
    "commitment_basis", "commitment_amount", "commitment_start", "commitment_end", "commitment_penalty",
    "commitment_drop_tier",
]  # fmt: skip


def _workbook(tmp_path, tiers, contract_row=None):
    row = contract_row or [
        "C-1", "Acme", "Contrast", date(2026, 1, 1), date(2026, 12, 31), "volume", 12,
        "spend", 120000, date(2026, 1, 1), date(2026, 12, 31), 5000, "C",
    ]  # fmt: skip
    return workbook_write(
        tmp_path / "catalog.xlsx",
        {
            "Vendors": [["name"], ["Acme"]],
            "Contracts": [CONTRACT_HEADER, row],
            "Tiers": [["contract", "tier", "threshold"], *tiers],
        },
    )


@pytest.mark.django_db
def test_tiers_and_commitment_load_and_a_second_load_changes_nothing(tmp_path):
    path = _workbook(tmp_path, [["C-1", "C", 0], ["C-1", "B", 100], ["C-1", "A", 250]])

    first = catalog_import(path=path)
    second = catalog_import(path=path)

    contract = Contract.objects.get(number="C-1")
    assert (contract.tier_basis, contract.tier_period_months) == ("volume", 12)
    assert (contract.commitment_basis, contract.commitment_amount, contract.commitment_penalty) == (
        "spend",
        Decimal("120000.00"),
        Decimal("5000.00"),
    )
    assert contract.commitment_drop_tier == "C"
    assert list(contract.tiers.values_list("tier", "threshold")) == [
        ("C", Decimal("0.00")),
        ("B", Decimal("100.00")),
        ("A", Decimal("250.00")),
    ]
    assert "Tiers: 3 created, 0 updated, 0 unchanged" in first.lines()
    assert "Tiers: 0 created, 0 updated, 3 unchanged" in second.lines()
    assert CatalogChange.objects.filter(object_type="ContractTier", action="created").count() == 3


@pytest.mark.django_db
def test_bad_tier_rows_are_named_and_nothing_is_written(tmp_path):
    path = _workbook(tmp_path, [["C-1", "B", -5], ["C-9", "A", 10], ["C-1", "B", 7]])

    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=path)

    assert raised.value.errors == [
        "Tiers!2 threshold: must be 0 or more",
        "Tiers!3 contract: no contract C-9 in the Contracts sheet or the catalog",
        "Tiers!4 tier: repeats the tier of row 2",
    ]
    assert not Contract.objects.exists()
    assert not ContractTier.objects.exists()


@pytest.mark.django_db
def test_a_commitment_without_its_dates_is_refused(tmp_path):
    row = ["C-1", "Acme", "Contrast", date(2026, 1, 1), date(2026, 12, 31), "", "", "spend", 1000, "", "", "", ""]
    with pytest.raises(CatalogImportError) as raised:
        catalog_import(path=_workbook(tmp_path, [], contract_row=row))

    assert raised.value.errors == [
        "Contracts!2 commitment_amount: A commitment needs its basis, amount, start and end."
    ]
