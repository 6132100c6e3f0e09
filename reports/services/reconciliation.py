"""Reconciling purchase lines against the catalog and storing the results (DESIGN.md section 4).

The work is columnar: lines are read (or parsed) into a frame, priced by reports.reconcile_bulk in one pass and
written back in bulk by reports.services.line_store.

Readings of DESIGN §4 rule 9 (repeats) made here:
- "earlier upload" is an upload of the same practice with a lower id (uploads are numbered as they arrive); the line
  repeats the earliest matching line (lowest upload id, then lowest line id).
- every line of a later upload that matches an earlier one is a repeat (identical lines inside one file are all
  kept, but against an earlier upload each of them repeats it).
- a repeat keeps its computed status and money (so it can be explained); every total leaves out lines with
  repeat_of set (reports.services.savings).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from contracts.selectors import catalog_frames_load
from reports.catalog_index import NONE, CatalogIndex
from reports.db.copy import decimal_array, ids_or_null, moment_array, text_array, text_column
from reports.lines import lines_in_periods
from reports.models import NonGpoVendorName, PurchaseLine, Restatement
from reports.reconcile import Tolerance, VendorDirectory, VendorRecord
from reports.reconcile_bulk import reconcile_columns
from reports.services.line_store import lines_update
from reports.services.savings import savings_summary_refresh
from vendors.models import Vendor, VendorAlias
from vendors.normalize import normalize_skus

BATCH_SIZE = 100_000
FIRST_BATCH_SIZE = 12_500
_STORED_FIELDS = (
    "id",
    "upload_id",
    "practice_id",
    "purchase_date",
    "vendor_name",
    "sku",
    "mfr_part_number",
    "uom",
    "quantity",
    "unit_price",
    "extended_amount",
    "invoice_number",
)


def vendor_directory_load() -> VendorDirectory:
    """Vendors, aliases and the names staff marked non-GPO, with the configured fuzzy threshold."""
    return VendorDirectory(
        vendors=tuple(
            VendorRecord(id=vid, normalized_name=name, category_id=category)
            for vid, name, category in Vendor.objects.values_list("id", "normalized_name", "category_id")
        ),
        aliases=tuple(VendorAlias.objects.values_list("normalized_name", "vendor_id")),
        non_gpo_names=frozenset(NonGpoVendorName.objects.values_list("normalized_name", flat=True)),
        fuzzy_threshold=float(settings.VENDOR_FUZZY_THRESHOLD),
    )


@dataclass(frozen=True)
class ReconcileContext:
    """What a batch is reconciled against: the catalog (indexed), the vendor directory and the tolerance."""

    index: CatalogIndex
    directory: VendorDirectory
    tolerance: Tolerance


def reconcile_context_load() -> ReconcileContext:
    """The whole catalog (as columns, straight into the index) and the vendor directory, loaded once for a batch."""
    return ReconcileContext(
        index=CatalogIndex.from_frames(catalog_frames_load()),
        directory=vendor_directory_load(),
        tolerance=Tolerance(
            absolute=settings.OVERCHARGE_TOLERANCE_ABSOLUTE, relative=settings.OVERCHARGE_TOLERANCE_RELATIVE
        ),
    )


def _day_numbers(values: Any) -> np.ndarray:
    return np.asarray(pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]").astype(np.int64))


def _e4(values: Iterable[Any]) -> np.ndarray:
    return np.array([int(value.scaleb(4)) for value in values], dtype=np.int64)


def _skus_normalized(values: Any) -> np.ndarray:
    """normalize_sku of each text, both sides of the repeat match worked the same way."""
    return np.asarray(normalize_skus(text_array(values)).to_numpy(zero_copy_only=False), dtype=object)


def invoice_condition(invoices: list[str]) -> RawSQL:
    """`invoice_number in invoices` with the invoices as one parameter (a PostgreSQL array, a JSON list on SQLite).

    An IN list of a million-line upload's 50,000 invoices would be 50,000 placeholders for the driver to parse
    (about 1.5 s of Python before the upload's first batch can be copied), and Django allows SQLite 999 per query.
    """
    column = f"{connection.ops.quote_name(PurchaseLine._meta.db_table)}.{connection.ops.quote_name('invoice_number')}"
    if connection.vendor == "postgresql":
        return RawSQL(f"{column} = ANY(%s)", (invoices,), output_field=BooleanField())
    return RawSQL(
        f"{column} IN (SELECT value FROM json_each(%s))", (json.dumps(invoices),), output_field=BooleanField()
    )


def _earlier_lines(lines: pd.DataFrame, invoice: pd.Series) -> pd.DataFrame:
    """Stored lines of earlier uploads that share a practice, an invoice number and a purchase date with these.

    A repeat has the same date (DESIGN §4 rule 9), so only the lines of the practice's earlier uploads whose dates
    overlap these lines' are read (the line table has no invoice index: it cost every upload's COPY 2-5 s per
    million lines), and the database keeps those with one of these invoices.
    """
    found: list[tuple[Any, ...]] = []
    for practice_id, part in lines[invoice != ""].groupby("practice_id"):
        days = part["purchase_date"]
        stored = lines_in_periods(
            PurchaseLine.objects.filter(upload_id__lt=int(part["upload_id"].max())),
            [(days.min().date(), days.max().date())],
            [int(cast(int, practice_id))],
        )
        found.extend(
            stored.filter(invoice_condition(sorted(set(invoice[part.index]))))
            .order_by()  # the lines' default order would join the uploads again to sort
            .values_list(
                "id", "upload_id", "practice_id", "invoice_number", "sku", "purchase_date", "quantity", "unit_price"
            )
        )
    columns = [
        "earlier_id",
        "earlier_upload_id",
        "practice_id",
        "invoice",
        "sku",
        "day",
        "quantity_e4",
        "unit_price_e4",
    ]
    earlier = pd.DataFrame(found, columns=columns)
    if found:
        earlier["sku_normalized"] = _skus_normalized(earlier["sku"])
        earlier["invoice"] = earlier["invoice"].str.strip()
        earlier["day"] = _day_numbers(earlier["day"])
        earlier["quantity_e4"] = _e4(earlier["quantity_e4"])
        earlier["unit_price_e4"] = _e4(earlier["unit_price_e4"])
    return earlier


def repeats_find(lines: pd.DataFrame, sku_normalized: Any = None) -> np.ndarray:
    """DESIGN §4 rule 9: per line, the id of the earlier upload's line it repeats (NONE when it repeats none).

    `lines` has upload_id, practice_id, invoice_number, purchase_date, quantity_e4 and unit_price_e4, and `sku`
    when `sku_normalized` is not given (it is then worked out only if an earlier line shares an invoice).
    """
    repeat_of = np.full(len(lines), NONE, dtype=np.int64)
    invoice = pd.Series(
        pc.utf8_trim_whitespace(pc.fill_null(text_array(lines["invoice_number"]), "")),
        index=lines.index,
        dtype=object,
    )
    if not (invoice != "").any():
        return repeat_of
    earlier = _earlier_lines(lines, invoice)
    if earlier.empty:
        return repeat_of
    if sku_normalized is None:
        sku_normalized = _skus_normalized(lines["sku"])
    key = ["practice_id", "invoice", "sku_normalized", "day", "quantity_e4", "unit_price_e4"]
    mine = pd.DataFrame(
        {
            "row": np.arange(len(lines)),
            "upload_id": lines["upload_id"].to_numpy(),
            "practice_id": lines["practice_id"].to_numpy(),
            "invoice": invoice.to_numpy(),
            "sku_normalized": np.asarray(sku_normalized),
            "day": _day_numbers(lines["purchase_date"]),
            "quantity_e4": lines["quantity_e4"].to_numpy(),
            "unit_price_e4": lines["unit_price_e4"].to_numpy(),
        }
    )[invoice.to_numpy() != ""]
    pairs = mine.merge(earlier[[*key, "earlier_id", "earlier_upload_id"]], on=key)
    pairs = pairs[pairs["earlier_upload_id"] < pairs["upload_id"]]
    first = pairs.sort_values(["row", "earlier_upload_id", "earlier_id"]).drop_duplicates("row")
    repeat_of[first["row"].to_numpy()] = first["earlier_id"].to_numpy()
    return repeat_of


def result_columns(results: pd.DataFrame, repeat_of: np.ndarray, *, reconciled_at: datetime) -> dict[str, pa.Array]:
    """The reconciliation columns of PurchaseLine (database names) from reconcile_columns' answer."""
    size = len(results)
    expected = results["expected_unit_price_e4"].to_numpy()
    list_price = results["list_price_e4"].to_numpy()
    return {
        "vendor_id": ids_or_null(results["vendor_id"].to_numpy()),
        "vendor_match": text_array(results["vendor_match"]),
        "sku_normalized": text_column(results["sku_normalized"], 120),
        "mfr_part_normalized": text_column(results["mfr_part_normalized"], 120),
        "status": text_array(results["status"]),
        "overcharge_cause": text_array(results["overcharge_cause"]),
        "repeat_of_id": ids_or_null(repeat_of),
        "contract_id": ids_or_null(results["contract_id"].to_numpy()),
        "item_id": ids_or_null(results["item_id"].to_numpy()),
        "price_id": ids_or_null(results["price_id"].to_numpy()),
        "category_id": ids_or_null(results["category_id"].to_numpy()),
        "expected_unit_price": decimal_array(expected, 4, missing=expected == NONE),
        "list_price": decimal_array(list_price, 4, missing=list_price == NONE),
        "spend": decimal_array(results["spend_cents"].to_numpy(), 2),
        "savings": decimal_array(results["savings_cents"].to_numpy(), 2),
        "overcharge": decimal_array(results["overcharge_cents"].to_numpy(), 2),
        "missed_savings": decimal_array(results["missed_savings_cents"].to_numpy(), 2),
        "reconciled_at": moment_array(reconciled_at, size),
    }


@dataclass(frozen=True)
class ReconciledBatch:
    """A batch of lines with reconcile_columns' answer for each and the earlier line each repeats (or NONE)."""

    lines: pd.DataFrame
    results: pd.DataFrame
    repeat_of: np.ndarray


def lines_reconciled_batches(
    lines: pd.DataFrame, *, context: ReconcileContext, batch_size: int | None = None
) -> Iterator[ReconciledBatch]:
    """The lines priced in batches (result_columns turns each into database columns).

    The repeats of every line are found first, here (they read the database); the batches are then priced without
    the database, so they can be made while a COPY of the batches before them is still running.
    """
    repeat_of = repeats_find(lines)
    size = batch_size or BATCH_SIZE

    def batches() -> Iterator[ReconciledBatch]:
        # The first batches are small and each is twice the one before, up to `size`: the database starts on
        # the first one sooner, while the next (bigger) one is priced.
        start, step = 0, min(size, FIRST_BATCH_SIZE)
        while start < len(lines):
            part = lines.iloc[start : start + step].reset_index(drop=True)
            results = reconcile_columns(context.index, context.directory, part, tolerance=context.tolerance)
            yield ReconciledBatch(part, results, repeat_of[start : start + len(part)])
            start, step = start + step, min(size, step * 2)

    return batches()


def lines_reconciled(lines: pd.DataFrame, *, context: ReconcileContext, reconciled_at: datetime) -> dict[str, pa.Array]:
    """Price a frame of lines (reconcile_bulk.LINE_COLUMNS plus upload_id, invoice_number) and find repeats."""
    results = reconcile_columns(context.index, context.directory, lines, tolerance=context.tolerance)
    repeat_of = repeats_find(lines, np.asarray(results["sku_normalized"], dtype=object))
    return result_columns(results, repeat_of, reconciled_at=reconciled_at)


def _stored_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(_STORED_FIELDS))
    extended = frame["extended_amount"]
    has_extended = extended.notna().to_numpy()
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"])
    frame["quantity_e4"] = _e4(frame.pop("quantity"))
    frame["unit_price_e4"] = _e4(frame.pop("unit_price"))
    frame["extended_cents"] = np.array(
        [int(value.scaleb(2)) if value is not None and value == value else 0 for value in frame.pop("extended_amount")],
        dtype=np.int64,
    )
    frame["has_extended"] = has_extended
    return frame


@transaction.atomic
def lines_reconcile(
    *,
    queryset: QuerySet[PurchaseLine],
    progress: Callable[[int], None] | None = None,
    cause: str = Restatement.Cause.RECALCULATED,
) -> int:
    """Reconcile the given stored lines (status, money, repeats) and store the results; returns how many.

    `cause` is what a closed month whose figures move is told (its restatement's cause).
    """
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    context = reconcile_context_load()
    now = timezone.now()
    practice_ids: set[int] = set()
    updated = 0
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        rows = list(queryset.filter(id__gte=chunk[0], id__lte=chunk[-1]).order_by("id").values_list(*_STORED_FIELDS))
        frame = _stored_frame(rows)
        columns = lines_reconciled(frame, context=context, reconciled_at=now)
        updated += lines_update({"id": pa.array(frame["id"].to_numpy()), **columns})
        practice_ids.update(int(p) for p in frame["practice_id"].unique())
        if progress is not None:
            progress(min(100, round(100 * updated / len(ids))))
    savings_summary_refresh(practice_ids=sorted(practice_ids), cause=cause)
    return updated


def lines_rereconcile_for_vendors(*, vendor_ids: Iterable[int]) -> int:
    """Re-reconcile lines a catalog change of these vendors can affect (DESIGN §4: "every figure follows").

    Their own lines, unresolved lines, and off-contract / non-GPO lines (their missed savings look at any vendor's
    manufacturer part numbers).
    """
    affected = PurchaseLine.objects.filter(
        Q(vendor_id__in=list(vendor_ids))
        | Q(vendor__isnull=True)
        | Q(status__in=[PurchaseLine.Status.OFF_CONTRACT, PurchaseLine.Status.NON_GPO_VENDOR])
    )
    return lines_reconcile(queryset=affected, cause=Restatement.Cause.CATALOG_CHANGE)
