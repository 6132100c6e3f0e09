"""Reconciling stored purchase lines against the catalog (DESIGN.md section 4).

Readings of DESIGN §4 rule 9 (repeats) made here:
- "earlier upload" is an upload of the same practice with a lower id (uploads are numbered as they arrive); the line
  repeats the earliest matching line (lowest upload id, then lowest line id).
- every line of a later upload that matches an earlier one is a repeat (identical lines inside one file are all
  kept, but against an earlier upload each of them repeats it).
- a repeat keeps its computed status and money (so it can be explained); every total leaves out lines with
  repeat_of set (reports.services.savings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from contracts.selectors import catalog_slice_load
from reports.models import NonGpoVendorName, PurchaseLine
from reports.reconcile import LineInput, Tolerance, VendorDirectory, VendorRecord, reconcile_batch, repeat_key
from reports.services.savings import savings_summary_refresh
from vendors.models import Vendor, VendorAlias
from vendors.normalize import normalize_sku

CHUNK_SIZE = 2000

_UPDATED_FIELDS = [
    "vendor",
    "vendor_match",
    "sku_normalized",
    "mfr_part_normalized",
    "status",
    "overcharge_cause",
    "repeat_of",
    "contract",
    "item",
    "price",
    "category",
    "expected_unit_price",
    "list_price",
    "spend",
    "savings",
    "overcharge",
    "missed_savings",
    "reconciled_at",
]

RepeatKey = tuple[int, tuple[str, str, date, Decimal, Decimal]]


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


def _lines_store(lines: list[PurchaseLine]) -> None:
    """Write the reconciliation fields back with one prepared UPDATE run for every line (executemany).

    Much faster than bulk_update's CASE expressions on both SQLite and PostgreSQL; values are prepared by the
    model fields themselves, so Decimals, dates and aware datetimes are stored exactly as the ORM would store them.
    """
    fields = [PurchaseLine._meta.get_field(name) for name in _UPDATED_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(PurchaseLine._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    rows = [
        [
            *(f.get_db_prep_save(getattr(line, f.attname), connection) for f in fields),  # type: ignore[union-attr]
            line.id,
        ]
        for line in lines
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _tolerance() -> Tolerance:
    return Tolerance(absolute=settings.OVERCHARGE_TOLERANCE_ABSOLUTE, relative=settings.OVERCHARGE_TOLERANCE_RELATIVE)


def _key_of(line: PurchaseLine) -> RepeatKey | None:
    key = repeat_key(
        invoice_number=line.invoice_number,
        sku_normalized=normalize_sku(line.sku),
        purchase_date=line.purchase_date,
        quantity=line.quantity,
        unit_price=line.unit_price,
    )
    return (line.practice_id, key) if key is not None else None


def _earlier_lines(lines: list[PurchaseLine]) -> dict[RepeatKey, list[tuple[int, int]]]:
    """(upload id, line id) of every stored line sharing a repeat key with these lines, ordered (DESIGN §4.9)."""
    invoices = {line.invoice_number for line in lines if line.invoice_number.strip()}
    if not invoices:
        return {}
    latest_upload = max(line.upload_id for line in lines)
    candidates = PurchaseLine.objects.filter(
        practice_id__in={line.practice_id for line in lines},
        invoice_number__in=invoices,
        upload_id__lt=latest_upload,
    ).only("id", "upload_id", "practice_id", "invoice_number", "sku", "purchase_date", "quantity", "unit_price")
    found: dict[RepeatKey, list[tuple[int, int]]] = defaultdict(list)
    for candidate in candidates:
        key = _key_of(candidate)
        if key is not None:
            found[key].append((candidate.upload_id, candidate.id))
    for entries in found.values():
        entries.sort()
    return found


def _repeat_of(line: PurchaseLine, earlier: dict[RepeatKey, list[tuple[int, int]]]) -> int | None:
    key = _key_of(line)
    if key is None:
        return None
    for upload_id, line_id in earlier.get(key, ()):
        if upload_id < line.upload_id:
            return line_id
    return None


@transaction.atomic
def lines_reconcile(*, queryset: QuerySet[PurchaseLine], progress: Callable[[int], None] | None = None) -> int:
    """Reconcile the given lines (status, money, repeats) and store the results; returns how many were updated."""
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    catalog = catalog_slice_load(vendor_ids=None)
    directory = vendor_directory_load()
    tolerance = _tolerance()
    now = timezone.now()
    practice_ids: set[int] = set()
    updated = 0
    for start in range(0, len(ids), CHUNK_SIZE):
        lines = list(PurchaseLine.objects.filter(id__in=ids[start : start + CHUNK_SIZE]).order_by("id"))
        inputs = [
            LineInput(
                practice_id=line.practice_id,
                purchase_date=line.purchase_date,
                vendor_name=line.vendor_name,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                uom=line.uom,
                mfr_part_number=line.mfr_part_number,
                extended_amount=line.extended_amount,
            )
            for line in lines
        ]
        results = reconcile_batch(catalog, directory, inputs, tolerance=tolerance)
        earlier = _earlier_lines(lines)
        for line, result in zip(lines, results, strict=True):
            line.vendor_id = result.vendor_id
            line.vendor_match = result.vendor_match
            line.sku_normalized = result.sku_normalized
            line.mfr_part_normalized = result.mfr_part_normalized
            line.status = result.status
            line.overcharge_cause = result.overcharge_cause
            line.repeat_of_id = _repeat_of(line, earlier)
            line.contract_id = result.contract_id
            line.item_id = result.item_id
            line.price_id = result.price_id
            line.category_id = result.category_id
            line.expected_unit_price = result.expected_unit_price
            line.list_price = result.list_price
            line.spend = result.spend
            line.savings = result.savings
            line.overcharge = result.overcharge
            line.missed_savings = result.missed_savings
            line.reconciled_at = now
            practice_ids.add(line.practice_id)
        _lines_store(lines)
        updated += len(lines)
        if progress is not None:
            progress(min(100, round(100 * updated / len(ids))))
    savings_summary_refresh(practice_ids=sorted(practice_ids))
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
    return lines_reconcile(queryset=affected)
