"""The bulk reconciliation path (reports.reconcile_bulk) for plain LineInputs, as tests compare it with the reference.

Uploads hand the bulk path columns; these helpers turn LineInputs into those columns and its answer back into
LineResults, so a property test can set it line by line beside `reports.reconcile.reconcile_line`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from contracts.pricing import CatalogSlice, Tolerance
from gpo.money import cents
from reports.catalog_index import NONE, CatalogIndex, e4, from_e4
from reports.reconcile import LineInput, LineResult, VendorDirectory, reconcile_line
from reports.reconcile_bulk import RESULT_COLUMNS, from_cents, reconcile_columns


def lines_frame(lines: Sequence[LineInput]) -> pd.DataFrame:
    """LineInputs as the columns `reconcile_columns` reads (every figure must fit in e4 / cents exactly)."""
    return pd.DataFrame(
        {
            "practice_id": np.array([line.practice_id for line in lines], dtype=np.int64),
            "purchase_date": np.array([line.purchase_date for line in lines], dtype="datetime64[D]"),
            "vendor_name": [line.vendor_name for line in lines],
            "sku": [line.sku for line in lines],
            "mfr_part_number": [line.mfr_part_number for line in lines],
            "uom": [line.uom for line in lines],
            "quantity_e4": np.array([e4(line.quantity) for line in lines], dtype=np.int64),
            "unit_price_e4": np.array([e4(line.unit_price) for line in lines], dtype=np.int64),
            "extended_cents": np.array(
                [
                    int(cents(line.extended_amount).scaleb(2)) if line.extended_amount is not None else 0
                    for line in lines
                ],
                dtype=np.int64,
            ),
            "has_extended": np.array([line.extended_amount is not None for line in lines], dtype=bool),
        }
    )


def results_from_frame(frame: pd.DataFrame) -> list[LineResult]:
    """`reconcile_columns`' answer as LineResults (Decimal money), in line order."""

    def optional(value: int) -> int | None:
        return None if value == NONE else int(value)

    def price(value: int) -> Decimal | None:
        return None if value == NONE else from_e4(int(value))

    return [
        LineResult(
            vendor_id=optional(row[0]),
            vendor_match=row[1],
            sku_normalized=row[2],
            mfr_part_normalized=row[3],
            status=row[4],
            overcharge_cause=row[5],
            contract_id=optional(row[6]),
            item_id=optional(row[7]),
            price_id=optional(row[8]),
            category_id=optional(row[9]),
            expected_unit_price=price(row[10]),
            list_price=price(row[11]),
            spend=from_cents(int(row[12])),
            savings=from_cents(int(row[13])),
            overcharge=from_cents(int(row[14])),
            missed_savings=from_cents(int(row[15])),
        )
        for row in frame[list(RESULT_COLUMNS)].itertuples(index=False, name=None)
    ]


def _cents_int(amount: Decimal | None) -> int:
    return int(cents(amount).scaleb(2)) if amount is not None else 0


def _representable(line: LineInput) -> bool:
    return e4(line.quantity) is not None and e4(line.unit_price) is not None


def reconcile_batch(
    catalog: CatalogSlice | CatalogIndex,
    directory: VendorDirectory,
    lines: Sequence[LineInput],
    *,
    tolerance: Tolerance,
) -> list[LineResult]:
    """The bulk path for LineInputs; lines with more than 4 places in a figure go through the reference."""
    index = catalog if isinstance(catalog, CatalogIndex) else CatalogIndex.build(catalog)
    results: list[LineResult | None] = [None] * len(lines)
    plain = [k for k, line in enumerate(lines) if _representable(line)]
    if plain:
        frame = lines_frame([lines[k] for k in plain])
        for k, result in zip(
            plain, results_from_frame(reconcile_columns(index, directory, frame, tolerance=tolerance)), strict=True
        ):
            results[k] = result
    for k, line in enumerate(lines):
        if results[k] is None:
            results[k] = reconcile_line(index.catalog_for(None), directory, line, tolerance=tolerance)
    return [r for r in results if r is not None]
