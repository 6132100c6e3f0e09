"""Reads of the contracts app (STYLE.md rule 2)."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.models import Contract, ContractItem, ContractPrice, Participation
from contracts.pricing import CatalogSlice, ContractTerms, ItemTerms, ParticipationTerms, PriceRow
from vendors.normalize import fold_uom

# --- pricing slice ---


def catalog_slice_load(*, vendor_ids: Iterable[int] | None = None) -> CatalogSlice:
    """The pricing engine's catalog slice for these vendors (None: the whole catalog), in four queries."""
    contracts = Contract.objects.all()
    if vendor_ids is not None:
        contracts = contracts.filter(vendor_id__in=list(vendor_ids))
    contract_rows = list(
        contracts.values_list("id", "vendor_id", "number", "start_date", "end_date", "status", "discount_pct")
    )
    contract_ids = [row[0] for row in contract_rows]
    items = ContractItem.objects.all() if vendor_ids is None else ContractItem.objects.filter(contract__in=contract_ids)
    prices = (
        ContractPrice.objects.all()
        if vendor_ids is None
        else ContractPrice.objects.filter(item__contract__in=contract_ids)
    )
    participations = (
        Participation.objects.all() if vendor_ids is None else Participation.objects.filter(contract__in=contract_ids)
    )
    return CatalogSlice(
        contracts=tuple(
            ContractTerms(
                id=cid,
                vendor_id=vendor_id,
                number=number,
                start_date=start,
                end_date=end,
                is_draft=status == Contract.Status.DRAFT,
                discount_pct=discount,
            )
            for cid, vendor_id, number, start, end, status, discount in contract_rows
        ),
        items=tuple(
            ItemTerms(
                id=iid,
                contract_id=contract_id,
                vendor_sku_normalized=sku,
                mfr_part_normalized=mfr,
                uom=fold_uom(uom),
                units_per_uom=units,
                list_price=list_price,
                category_id=category_id,
            )
            for iid, contract_id, sku, mfr, uom, units, list_price, category_id in items.values_list(
                "id",
                "contract_id",
                "vendor_sku_normalized",
                "mfr_part_normalized",
                "uom",
                "units_per_uom",
                "list_price",
                "category_id",
            )
        ),
        prices=tuple(
            PriceRow(
                id=pid, item_id=item_id, price=price, effective_from=start, effective_to=end, tier=tier, min_qty=min_qty
            )
            for pid, item_id, price, start, end, tier, min_qty in prices.values_list(
                "id", "item_id", "price", "effective_from", "effective_to", "tier", "min_qty"
            )
        ),
        participations=tuple(
            ParticipationTerms(practice_id=practice_id, contract_id=contract_id, joined_on=joined, tier=tier)
            for practice_id, contract_id, joined, tier in participations.values_list(
                "practice_id", "contract_id", "joined_on", "tier"
            )
        ),
    )
