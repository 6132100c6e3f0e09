"""Writes for contracts, items, prices and participations (STYLE.md rule 1).

Every change writes a CatalogChange audit row (STYLE.md rule 14) and tells the catalog listeners which vendors
changed (contracts/changes.py), so the affected purchase lines are reconciled again (DESIGN.md section 4).
Callers writing many rows at once (the imports) pass `notify=False` and call `catalog_changed` once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q

from contracts.changes import catalog_changed
from contracts.models import CatalogChange, Contract, ContractItem, ContractPrice, ContractTier, Participation
from vendors.normalize import fold_uom, normalize_sku
from vendors.services import catalog_version_bump

HUNDRED = Decimal(100)

# Tier measurement and commitment terms (coalition economics): they price no purchase line.
ECONOMICS_FIELDS = (
    "tier_basis",
    "tier_period_months",
    "commitment_basis",
    "commitment_amount",
    "commitment_start",
    "commitment_end",
    "commitment_penalty",
    "commitment_drop_tier",
)
CONTRACT_FIELDS = (
    "vendor",
    "number",
    "title",
    "description",
    "start_date",
    "end_date",
    "status",
    "admin_fee_pct",
    "discount_pct",
    "renewal_notice_days",
    "open_to_all_members",
    "terms",
    "contact_name",
    "contact_email",
    *ECONOMICS_FIELDS,
)
TIER_FIELDS = ("tier", "threshold")
ITEM_FIELDS = (
    "vendor_sku",
    "manufacturer",
    "mfr_part_number",
    "description",
    "uom",
    "units_per_uom",
    "list_price",
    "category",
)
PRICE_FIELDS = ("price", "effective_from", "effective_to", "tier", "min_qty")
PARTICIPATION_FIELDS = ("joined_on", "tier")


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a field value for the audit row."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # "80.0000" and "80" read the same in the audit trail
    if isinstance(value, date):
        return value.isoformat()
    return value


def changed_fields(obj: Model, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Which of `fields` differ from the object's values: {field: (old, new)} (Decimals compared by value)."""
    changes = {}
    for field, new in fields.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = (old, new)
    return changes


def _audit(
    *,
    action: str,
    obj: Model,
    contract_number: str,
    user: Any,
    source: str,
    detail: dict[str, Any],
) -> CatalogChange:
    # Every audited catalog write, notified or not (imports notify once at the end), replaces the catalog version.
    catalog_version_bump()
    return CatalogChange.objects.create(
        changed_by=user if getattr(user, "is_authenticated", False) else None,
        source=source,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.pk,
        contract_number=contract_number,
        detail=detail,
    )


def _snapshot(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _plain(getattr(obj, field)) for field in fields}


def _check_unknown(fields: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"Unknown {what} fields: {', '.join(sorted(unknown))}.")


# --- contracts ---------------------------------------------------------------------------------------------------


def contract_validate(contract: Contract) -> None:
    """Raise ValidationError unless end >= start and the percentages are in range (then full_clean)."""
    errors: dict[str, str] = {}
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors["end_date"] = "The end date must be on or after the start date."
    if contract.admin_fee_pct is not None and not (0 <= Decimal(contract.admin_fee_pct) <= HUNDRED):
        errors["admin_fee_pct"] = "The admin fee must be a percentage between 0 and 100."
    if contract.discount_pct is not None and not (0 < Decimal(contract.discount_pct) < HUNDRED):
        errors["discount_pct"] = "The discount must be a percentage above 0 and below 100."
    errors.update(_economics_errors(contract))
    if errors:
        raise ValidationError(errors)
    contract.full_clean()


def _economics_errors(contract: Contract) -> dict[str, str]:
    """Tier measurement and commitment terms are given whole or not at all."""
    errors: dict[str, str] = {}
    if bool(contract.tier_basis) != (contract.tier_period_months is not None):
        errors["tier_period_months"] = (
            "Give both the tier basis (volume or spend) and its period in months, or neither."
        )
    elif contract.tier_period_months is not None and not (1 <= contract.tier_period_months <= 36):
        errors["tier_period_months"] = "The tier period is 1 to 36 months."
    commitment = (
        contract.commitment_basis,
        contract.commitment_amount,
        contract.commitment_start,
        contract.commitment_end,
    )
    if any(value not in (None, "") for value in commitment):
        if not all(value not in (None, "") for value in commitment):
            errors["commitment_amount"] = "A commitment needs its basis, amount, start and end."
        elif Decimal(contract.commitment_amount or 0) <= 0:
            errors["commitment_amount"] = "The committed amount must be greater than 0."
        elif contract.commitment_end < contract.commitment_start:  # type: ignore[operator]
            errors["commitment_end"] = "The commitment ends before it starts."
    return errors


@transaction.atomic
def contract_create(*, user: Any = None, source: str = "api", notify: bool = True, **fields: Any) -> Contract:
    """Create a contract (number unique, end >= start, percentages 0..100) and audit it."""
    _check_unknown(fields, CONTRACT_FIELDS, "contract")
    fields.setdefault("admin_fee_pct", Decimal(0))
    contract = Contract(**fields)
    contract_validate(contract)
    contract.save()
    _audit(
        action=CatalogChange.Action.CREATED,
        obj=contract,
        contract_number=contract.number,
        user=user,
        source=source,
        detail=_snapshot(contract, tuple(f for f in CONTRACT_FIELDS if f in fields or f == "status")),
    )
    if notify:
        catalog_changed(vendor_ids=[contract.vendor_id])
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> Contract:
    """Change a contract's fields; unchanged input writes nothing, a change is audited and notified."""
    _check_unknown(fields, CONTRACT_FIELDS, "contract")
    changes = changed_fields(contract, fields)
    if not changes:
        return contract
    old_vendor_id = contract.vendor_id
    for field, (_, new) in changes.items():
        setattr(contract, field, new)
    contract_validate(contract)
    contract.save()
    _audit(
        action=CatalogChange.Action.UPDATED,
        obj=contract,
        contract_number=contract.number,
        user=user,
        source=source,
        detail={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
    )
    # Tier and commitment terms price no line: changing only them re-reconciles nothing.
    if notify and set(changes) - set(ECONOMICS_FIELDS):
        catalog_changed(vendor_ids={old_vendor_id, contract.vendor_id})
    return contract


# --- tiers -------------------------------------------------------------------------------------------------------


def contract_tier_validate(tier: ContractTier) -> None:
    """A tier names a price tier of its contract and a threshold of 0 or more (in the contract's tier basis)."""
    tier.tier = str(tier.tier or "").strip()
    if not tier.tier:
        raise ValidationError({"tier": "Name the tier as its price rows do."})
    tier.full_clean()


@transaction.atomic
def contract_tier_create(*, contract: Contract, user: Any = None, source: str = "api", **fields: Any) -> ContractTier:
    """Add a tier threshold to a contract and audit it (tiers price no line: nothing is re-reconciled)."""
    _check_unknown(fields, TIER_FIELDS, "tier")
    tier = ContractTier(contract=contract, **fields)
    contract_tier_validate(tier)
    tier.save()
    _audit(
        action=CatalogChange.Action.CREATED,
        obj=tier,
        contract_number=contract.number,
        user=user,
        source=source,
        detail=_snapshot(tier, TIER_FIELDS),
    )
    return tier


@transaction.atomic
def contract_tier_update(
    *, contract_tier: ContractTier, user: Any = None, source: str = "api", **fields: Any
) -> ContractTier:
    """Change a tier's name or threshold; unchanged input writes nothing."""
    _check_unknown(fields, TIER_FIELDS, "tier")
    changes = changed_fields(contract_tier, fields)
    if not changes:
        return contract_tier
    for field, (_, new) in changes.items():
        setattr(contract_tier, field, new)
    contract_tier_validate(contract_tier)
    contract_tier.save()
    _audit(
        action=CatalogChange.Action.UPDATED,
        obj=contract_tier,
        contract_number=contract_tier.contract.number,
        user=user,
        source=source,
        detail={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
    )
    return contract_tier


@transaction.atomic
def contract_tier_delete(*, contract_tier: ContractTier, user: Any = None, source: str = "api") -> None:
    """Remove a tier threshold and audit it."""
    tier_id, snapshot = contract_tier.pk, _snapshot(contract_tier, TIER_FIELDS)
    contract_tier.delete()
    contract_tier.pk = tier_id
    _audit(
        action=CatalogChange.Action.DELETED,
        obj=contract_tier,
        contract_number=contract_tier.contract.number,
        user=user,
        source=source,
        detail=snapshot,
    )


@transaction.atomic
def contract_delete(*, contract: Contract, user: Any = None, source: str = "api", notify: bool = True) -> None:
    """Delete a contract with no items or participations (PROTECT refuses otherwise) and audit it."""
    if contract.items.exists() or contract.participations.exists():
        raise ValidationError("Remove the contract's items and participations before deleting it.")
    vendor_id, contract_id = contract.vendor_id, contract.pk
    snapshot = _snapshot(contract, CONTRACT_FIELDS)
    contract.delete()
    contract.pk = contract_id
    _audit(
        action=CatalogChange.Action.DELETED,
        obj=contract,
        contract_number=contract.number,
        user=user,
        source=source,
        detail=snapshot,
    )
    if notify:
        catalog_changed(vendor_ids=[vendor_id])


# --- items -------------------------------------------------------------------------------------------------------


def contract_item_validate(item: ContractItem) -> None:
    """Store the normalised SKU and part number and the folded UOM; refuse a SKU the contract already has."""
    item.vendor_sku = str(item.vendor_sku).strip()
    item.vendor_sku_normalized = normalize_sku(item.vendor_sku)
    item.mfr_part_number = str(item.mfr_part_number or "").strip()
    item.mfr_part_normalized = normalize_sku(item.mfr_part_number)
    item.uom = fold_uom(item.uom) or "EA"
    if not item.vendor_sku_normalized:
        raise ValidationError({"vendor_sku": "A vendor SKU needs at least one letter or digit."})
    if item.list_price is not None and Decimal(item.list_price) <= 0:
        raise ValidationError({"list_price": "The list price must be greater than 0."})
    duplicate = ContractItem.objects.filter(
        contract_id=item.contract_id, vendor_sku_normalized=item.vendor_sku_normalized
    ).exclude(pk=item.pk)
    if duplicate.exists():
        raise ValidationError({"vendor_sku": f"Contract already has an item with SKU {item.vendor_sku!r}."})
    item.full_clean()


@transaction.atomic
def contract_item_create(
    *, contract: Contract, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> ContractItem:
    """Add an item to a contract (SKU unique per contract after normalising, UOM folded) and audit it."""
    _check_unknown(fields, ITEM_FIELDS, "item")
    item = ContractItem(contract=contract, **fields)
    contract_item_validate(item)
    item.save()
    _audit(
        action=CatalogChange.Action.CREATED,
        obj=item,
        contract_number=contract.number,
        user=user,
        source=source,
        detail=_snapshot(item, ITEM_FIELDS),
    )
    if notify:
        catalog_changed(vendor_ids=[contract.vendor_id])
    return item


def item_values_normalized(fields: dict[str, Any]) -> dict[str, Any]:
    """Item field values as they would be stored (UOM folded, SKUs stripped), for comparing with a stored item."""
    values = dict(fields)
    if "uom" in values:
        values["uom"] = fold_uom(values["uom"]) or "EA"
    for key in ("vendor_sku", "mfr_part_number"):
        if key in values:
            values[key] = str(values[key] or "").strip()
    return values


@transaction.atomic
def contract_item_update(
    *, item: ContractItem, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> ContractItem:
    """Change an item's fields; unchanged input writes nothing."""
    _check_unknown(fields, ITEM_FIELDS, "item")
    changes = changed_fields(item, item_values_normalized(fields))
    if not changes:
        return item
    for field, (_, new) in changes.items():
        setattr(item, field, new)
    contract_item_validate(item)
    item.save()
    _audit(
        action=CatalogChange.Action.UPDATED,
        obj=item,
        contract_number=item.contract.number,
        user=user,
        source=source,
        detail={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
    )
    if notify:
        catalog_changed(vendor_ids=[item.contract.vendor_id])
    return item


@transaction.atomic
def contract_item_delete(*, item: ContractItem, user: Any = None, source: str = "api", notify: bool = True) -> None:
    """Delete an item and its prices, auditing each."""
    contract = item.contract
    for price in list(item.prices.all()):
        contract_price_delete(contract_price=price, user=user, source=source, notify=False)
    snapshot, item_id = _snapshot(item, ITEM_FIELDS), item.pk
    item.delete()
    item.pk = item_id
    _audit(
        action=CatalogChange.Action.DELETED,
        obj=item,
        contract_number=contract.number,
        user=user,
        source=source,
        detail=snapshot,
    )
    if notify:
        catalog_changed(vendor_ids=[contract.vendor_id])


# --- prices ------------------------------------------------------------------------------------------------------


def windows_overlap(first_from: date, first_to: date | None, second_from: date, second_to: date | None) -> bool:
    """Whether two inclusive windows (open-ended when `to` is None) share a day."""
    first_ends_before = first_to is not None and first_to < second_from
    second_ends_before = second_to is not None and second_to < first_from
    return not (first_ends_before or second_ends_before)


def contract_price_validate(price: ContractPrice) -> None:
    """Raise ValidationError unless price > 0, min_qty > 0, the window is ordered and overlaps no sibling."""
    errors: dict[str, str] = {}
    if price.price is not None and Decimal(price.price) <= 0:
        errors["price"] = "The price must be greater than 0."
    if price.min_qty is not None and Decimal(price.min_qty) <= 0:
        errors["min_qty"] = "The minimum quantity must be greater than 0 (leave it blank for no minimum)."
    if price.effective_to is not None and price.effective_from and price.effective_to < price.effective_from:
        errors["effective_to"] = "The window must end on or after its first day."
    if errors:
        raise ValidationError(errors)
    price.tier = (price.tier or "").strip()
    price.full_clean()
    # DESIGN §3: windows of one item/tier/min_qty never overlap, else two prices would apply on one day.
    siblings = ContractPrice.objects.filter(item_id=price.item_id, tier=price.tier).exclude(pk=price.pk)
    siblings = (
        siblings.filter(min_qty__isnull=True) if price.min_qty is None else siblings.filter(min_qty=price.min_qty)
    )
    siblings = siblings.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=price.effective_from))
    if price.effective_to is not None:
        siblings = siblings.filter(effective_from__lte=price.effective_to)
    clash = siblings.order_by("effective_from").first()
    if clash is not None:
        until = clash.effective_to.isoformat() if clash.effective_to else "open-ended"
        raise ValidationError(
            {
                "effective_from": f"Overlaps the price {clash.price} effective {clash.effective_from.isoformat()} to "
                f"{until} of the same item, tier and minimum quantity."
            }
        )


@transaction.atomic
def contract_price_create(
    *, item: ContractItem, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> ContractPrice:
    """Add an effective-dated price to an item (price > 0, no overlapping window) and audit it."""
    _check_unknown(fields, PRICE_FIELDS, "price")
    price = ContractPrice(item=item, **fields)
    contract_price_validate(price)
    price.save()
    _audit(
        action=CatalogChange.Action.CREATED,
        obj=price,
        contract_number=item.contract.number,
        user=user,
        source=source,
        detail={"vendor_sku": item.vendor_sku, **_snapshot(price, PRICE_FIELDS)},
    )
    if notify:
        catalog_changed(vendor_ids=[item.contract.vendor_id])
    return price


@transaction.atomic
def contract_price_update(
    *, contract_price: ContractPrice, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> ContractPrice:
    """Change a price row; unchanged input writes nothing."""
    _check_unknown(fields, PRICE_FIELDS, "price")
    price = contract_price
    changes = changed_fields(price, fields)
    if not changes:
        return price
    for field, (_, new) in changes.items():
        setattr(price, field, new)
    contract_price_validate(price)
    price.save()
    item = price.item
    _audit(
        action=CatalogChange.Action.UPDATED,
        obj=price,
        contract_number=item.contract.number,
        user=user,
        source=source,
        detail={"vendor_sku": item.vendor_sku, **{f: [_plain(o), _plain(n)] for f, (o, n) in changes.items()}},
    )
    if notify:
        catalog_changed(vendor_ids=[item.contract.vendor_id])
    return price


@transaction.atomic
def contract_price_delete(
    *, contract_price: ContractPrice, user: Any = None, source: str = "api", notify: bool = True
) -> None:
    """Delete a price row and audit it."""
    price = contract_price
    item = price.item
    snapshot, price_id = {"vendor_sku": item.vendor_sku, **_snapshot(price, PRICE_FIELDS)}, price.pk
    price.delete()
    price.pk = price_id
    _audit(
        action=CatalogChange.Action.DELETED,
        obj=price,
        contract_number=item.contract.number,
        user=user,
        source=source,
        detail=snapshot,
    )
    if notify:
        catalog_changed(vendor_ids=[item.contract.vendor_id])


# --- participation -----------------------------------------------------------------------------------------------


@transaction.atomic
def participation_create(
    *,
    practice: Any,
    contract: Contract,
    joined_on: date,
    tier: str = "",
    user: Any = None,
    source: str = "api",
    notify: bool = True,
) -> Participation:
    """Record a practice's letter of participation in a contract (once per contract) and audit it."""
    participation = Participation(practice=practice, contract=contract, joined_on=joined_on, tier=(tier or "").strip())
    participation.full_clean()
    participation.save()
    _audit(
        action=CatalogChange.Action.CREATED,
        obj=participation,
        contract_number=contract.number,
        user=user,
        source=source,
        detail={"practice": practice.slug, **_snapshot(participation, PARTICIPATION_FIELDS)},
    )
    if notify:
        catalog_changed(vendor_ids=[contract.vendor_id])
    return participation


@transaction.atomic
def participation_update(
    *, participation: Participation, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> Participation:
    """Change a participation's joining date or tier; unchanged input writes nothing."""
    _check_unknown(fields, PARTICIPATION_FIELDS, "participation")
    if "tier" in fields:
        fields["tier"] = (fields["tier"] or "").strip()
    changes = changed_fields(participation, fields)
    if not changes:
        return participation
    for field, (_, new) in changes.items():
        setattr(participation, field, new)
    participation.full_clean()
    participation.save()
    contract = participation.contract
    _audit(
        action=CatalogChange.Action.UPDATED,
        obj=participation,
        contract_number=contract.number,
        user=user,
        source=source,
        detail={
            "practice": participation.practice.slug,
            **{f: [_plain(o), _plain(n)] for f, (o, n) in changes.items()},
        },
    )
    if notify:
        catalog_changed(vendor_ids=[contract.vendor_id])
    return participation


@transaction.atomic
def participation_delete(
    *, participation: Participation, user: Any = None, source: str = "api", notify: bool = True
) -> None:
    """Withdraw a practice from a contract and audit it."""
    contract = participation.contract
    snapshot = {"practice": participation.practice.slug, **_snapshot(participation, PARTICIPATION_FIELDS)}
    participation_id = participation.pk
    participation.delete()
    participation.pk = participation_id
    _audit(
        action=CatalogChange.Action.DELETED,
        obj=participation,
        contract_number=contract.number,
        user=user,
        source=source,
        detail=snapshot,
    )
    if notify:
        catalog_changed(vendor_ids=[contract.vendor_id])
