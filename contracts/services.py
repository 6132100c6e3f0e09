"""Writes for contracts, items, prices and participations (STYLE.md rule 1).

Every change writes a CatalogChange audit row (STYLE.md rule 14) and tells the catalog listeners which vendors
changed (contracts/changes.py), so the affected purchase lines are reconciled again (DESIGN.md section 4).
Callers writing many rows at once (the imports) pass `notify=False` and call `catalog_changed` once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

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


def _audit_row(
    *, action: str, obj: Model, contract_number: str, user: Any, source: str, detail: dict[str, Any]
) -> CatalogChange:
    return CatalogChange(
        changed_by=user if getattr(user, "is_authenticated", False) else None,
        source=source,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.pk,
        contract_number=contract_number,
        detail=detail,
    )


def _audited(
    action: str,
    obj: Model,
    *,
    contract: Contract,
    user: Any,
    source: str,
    notify: bool,
    detail: dict[str, Any],
    vendor_ids: set[int] | None = None,
) -> None:
    """The end of every catalog write: one CatalogChange row (STYLE.md rule 14), then, unless the caller notifies
    once for many rows, the catalog listeners hear which vendors changed (contracts/changes.py). Every audited write,
    notified or not (imports notify once at the end), replaces the catalog version: cached catalog fragments go."""
    catalog_version_bump()
    _audit_row(action=action, obj=obj, contract_number=contract.number, user=user, source=source, detail=detail).save()
    if notify:
        catalog_changed(vendor_ids=vendor_ids or {contract.vendor_id})


def _snapshot(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _plain(getattr(obj, field)) for field in fields}


def _check_unknown(fields: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(f"Unknown {what} fields: {', '.join(sorted(unknown))}.")


# --- contracts ---------------------------------------------------------------------------------------------------


def contract_check(contract: Contract) -> None:
    """The checks of one contract that need no query: end >= start and the percentages in range."""
    errors: dict[str, str] = {}
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors["end_date"] = "The end date must be on or after the start date."
    if contract.admin_fee_pct is not None and not (0 <= Decimal(contract.admin_fee_pct) <= HUNDRED):
        errors["admin_fee_pct"] = "The admin fee must be a percentage between 0 and 100."
    if contract.discount_pct is not None and not (0 < Decimal(contract.discount_pct) < HUNDRED):
        errors["discount_pct"] = "The discount must be a percentage above 0 and below 100 (12.5 means 12.5 % off list)."
    errors.update(_economics_errors(contract))
    if errors:
        raise ValidationError(errors)


def contract_validate(contract: Contract) -> None:
    """`contract_check`, then the model's checks (number unique)."""
    contract_check(contract)
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
    _audited(
        CatalogChange.Action.CREATED,
        contract,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail=_snapshot(contract, tuple(f for f in CONTRACT_FIELDS if f in fields or f == "status")),
    )
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
    _audited(
        CatalogChange.Action.UPDATED,
        contract,
        contract=contract,
        user=user,
        source=source,
        # Tier and commitment terms price no line: changing only them re-reconciles nothing.
        notify=notify and bool(set(changes) - set(ECONOMICS_FIELDS)),
        detail={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
        vendor_ids={old_vendor_id, contract.vendor_id},
    )
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
    _audited(
        CatalogChange.Action.CREATED,
        tier,
        contract=contract,
        user=user,
        source=source,
        notify=False,  # tiers price no line
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
    _audited(
        CatalogChange.Action.UPDATED,
        contract_tier,
        contract=contract_tier.contract,
        user=user,
        source=source,
        notify=False,  # tiers price no line
        detail={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
    )
    return contract_tier


@transaction.atomic
def contract_tier_delete(*, contract_tier: ContractTier, user: Any = None, source: str = "api") -> None:
    """Remove a tier threshold and audit it."""
    tier_id, snapshot = contract_tier.pk, _snapshot(contract_tier, TIER_FIELDS)
    contract_tier.delete()
    contract_tier.pk = tier_id
    _audited(
        CatalogChange.Action.DELETED,
        contract_tier,
        contract=contract_tier.contract,
        user=user,
        source=source,
        notify=False,  # tiers price no line
        detail=snapshot,
    )


@transaction.atomic
def contract_delete(*, contract: Contract, user: Any = None, source: str = "api", notify: bool = True) -> None:
    """Delete a contract with no items or participations (PROTECT refuses otherwise) and audit it."""
    if contract.items.exists() or contract.participations.exists():
        raise ValidationError("Remove the contract's items and participations before deleting it.")
    contract_id = contract.pk
    snapshot = _snapshot(contract, CONTRACT_FIELDS)
    contract.delete()
    contract.pk = contract_id
    _audited(
        CatalogChange.Action.DELETED,
        contract,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail=snapshot,
    )


# --- items -------------------------------------------------------------------------------------------------------


class RowsInvalid(ValidationError):
    """Some rows of a many-rows write are invalid; `problems` maps each one's position to its ValidationError."""

    def __init__(self, problems: dict[int, ValidationError]) -> None:
        super().__init__([message for problem in problems.values() for message in problem.messages])
        self.problems = problems


def contract_item_check(item: ContractItem) -> None:
    """The checks of one item that need no query: normalised SKU and part number and folded UOM stored, a SKU with
    a letter or digit, a list price above 0, a whole units per UOM of at least 1."""
    item.vendor_sku = str(item.vendor_sku).strip()
    item.vendor_sku_normalized = normalize_sku(item.vendor_sku)
    item.mfr_part_number = str(item.mfr_part_number or "").strip()
    item.mfr_part_normalized = normalize_sku(item.mfr_part_number)
    item.uom = fold_uom(item.uom) or "EA"
    if not item.vendor_sku_normalized:
        raise ValidationError({"vendor_sku": "A vendor SKU needs at least one letter or digit."})
    if item.list_price is not None and Decimal(item.list_price) <= 0:
        raise ValidationError({"list_price": "The list price must be greater than 0."})
    if item.units_per_uom is not None and int(item.units_per_uom) < 1:
        raise ValidationError({"units_per_uom": "The units per UOM must be a whole number of at least 1."})


def _duplicate_sku(item: ContractItem) -> ValidationError:
    return ValidationError({"vendor_sku": f"Contract already has an item with SKU {item.vendor_sku!r}."})


def contract_item_validate(item: ContractItem) -> None:
    """`contract_item_check`, then refuse a SKU the contract already has (and the model's constraints)."""
    contract_item_check(item)
    duplicate = ContractItem.objects.filter(
        contract_id=item.contract_id, vendor_sku_normalized=item.vendor_sku_normalized
    ).exclude(pk=item.pk)
    if duplicate.exists():
        raise _duplicate_sku(item)
    item.full_clean()


@transaction.atomic
def contract_items_create(
    *, contract: Contract, rows: Sequence[dict[str, Any]], user: Any = None, source: str = "api", notify: bool = True
) -> list[ContractItem]:
    """Add many items to one contract at once (imports): each checked as `contract_item_create` checks one, the
    SKUs against the contract's and each other's in memory; one insert, one audit row per item.

    Raises RowsInvalid naming every bad row's position, with nothing written.
    """
    taken = set(ContractItem.objects.filter(contract=contract).values_list("vendor_sku_normalized", flat=True))
    items: list[ContractItem] = []
    problems: dict[int, ValidationError] = {}
    for position, fields in enumerate(rows):
        _check_unknown(fields, ITEM_FIELDS, "item")
        item = ContractItem(contract=contract, **fields)
        try:
            contract_item_check(item)
            if item.vendor_sku_normalized in taken:
                raise _duplicate_sku(item)
            # The contract and category are objects in hand: no query per row for the foreign keys.
            item.full_clean(exclude=["contract", "category"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            problems[position] = error
            continue
        taken.add(item.vendor_sku_normalized)
        items.append(item)
    if problems:
        raise RowsInvalid(problems)
    created = ContractItem.objects.bulk_create(items)
    _audited_many(CatalogChange.Action.CREATED, created, contract=contract, user=user, source=source, notify=notify)
    return created


def _audited_many(
    action: str, objects: Sequence[Model], *, contract: Contract, user: Any, source: str, notify: bool
) -> None:
    """`_audited` for rows written together: one audit row each in one insert, one notification."""
    fields = ITEM_FIELDS if objects and isinstance(objects[0], ContractItem) else PRICE_FIELDS
    catalog_version_bump()
    CatalogChange.objects.bulk_create(
        _audit_row(
            action=action,
            obj=obj,
            contract_number=contract.number,
            user=user,
            source=source,
            detail=_detail_of(obj, fields),
        )
        for obj in objects
    )
    if notify and objects:
        catalog_changed(vendor_ids={contract.vendor_id})


def _detail_of(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(obj, ContractPrice):
        return {"vendor_sku": obj.item.vendor_sku, **_snapshot(obj, fields)}
    return _snapshot(obj, fields)


@transaction.atomic
def contract_item_create(
    *, contract: Contract, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> ContractItem:
    """Add an item to a contract (SKU unique per contract after normalising, UOM folded) and audit it."""
    _check_unknown(fields, ITEM_FIELDS, "item")
    item = ContractItem(contract=contract, **fields)
    contract_item_validate(item)
    item.save()
    _audited(
        CatalogChange.Action.CREATED,
        item,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail=_snapshot(item, ITEM_FIELDS),
    )
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
    _audited(
        CatalogChange.Action.UPDATED,
        item,
        contract=item.contract,
        user=user,
        source=source,
        notify=notify,
        detail={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
    )
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
    _audited(
        CatalogChange.Action.DELETED,
        item,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail=snapshot,
    )


# --- prices ------------------------------------------------------------------------------------------------------


def windows_overlap(first_from: date, first_to: date | None, second_from: date, second_to: date | None) -> bool:
    """Whether two inclusive windows (open-ended when `to` is None) share a day."""
    first_ends_before = first_to is not None and first_to < second_from
    second_ends_before = second_to is not None and second_to < first_from
    return not (first_ends_before or second_ends_before)


def contract_price_check(price: ContractPrice) -> None:
    """The checks of one price row that need no query: price > 0, min_qty > 0, the window in order, the tier
    trimmed."""
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


def price_window_clash(price: ContractPrice, siblings: Iterable[ContractPrice]) -> None:
    """DESIGN §3: windows of one item/tier/min_qty never overlap, else two prices would apply on one day.

    `siblings` are the item's other rows; those of another tier or min_qty are ignored.
    """
    clashes = [
        other
        for other in siblings
        if other is not price
        and other.tier == price.tier
        and other.min_qty == price.min_qty
        and windows_overlap(price.effective_from, price.effective_to, other.effective_from, other.effective_to)
    ]
    if clashes:
        clash = min(clashes, key=lambda other: other.effective_from)
        until = clash.effective_to.isoformat() if clash.effective_to else "open-ended"
        raise ValidationError(
            {
                "effective_from": f"Overlaps the price {clash.price} effective {clash.effective_from.isoformat()} to "
                f"{until} of the same item, tier and minimum quantity."
            }
        )


def contract_price_validate(price: ContractPrice) -> None:
    """`contract_price_check`, the model's checks, then no overlap with the item's stored rows of the same tier
    and min_qty."""
    contract_price_check(price)
    price.full_clean()
    siblings = ContractPrice.objects.filter(item_id=price.item_id, tier=price.tier).exclude(pk=price.pk)
    siblings = (
        siblings.filter(min_qty__isnull=True) if price.min_qty is None else siblings.filter(min_qty=price.min_qty)
    )
    price_window_clash(price, siblings)


@transaction.atomic
def contract_prices_create(
    *,
    contract: Contract,
    rows: Sequence[tuple[ContractItem, dict[str, Any]]],
    user: Any = None,
    source: str = "api",
    notify: bool = True,
) -> list[ContractPrice]:
    """Add many price rows to items of one contract at once (imports): each checked as `contract_price_create`
    checks one, the windows against the items' stored rows and each other's in memory; one insert, one audit row
    per price. Raises RowsInvalid naming every bad row's position, with nothing written."""
    siblings: dict[int, list[ContractPrice]] = {}
    for stored in ContractPrice.objects.filter(item__contract=contract):
        siblings.setdefault(stored.item_id, []).append(stored)
    prices: list[ContractPrice] = []
    problems: dict[int, ValidationError] = {}
    for position, (item, fields) in enumerate(rows):
        _check_unknown(fields, PRICE_FIELDS, "price")
        price = ContractPrice(item=item, **fields)
        try:
            contract_price_check(price)
            price.full_clean(exclude=["item"], validate_unique=False, validate_constraints=False)
            price_window_clash(price, siblings.get(item.pk, ()))
        except ValidationError as error:
            problems[position] = error
            continue
        siblings.setdefault(item.pk, []).append(price)
        prices.append(price)
    if problems:
        raise RowsInvalid(problems)
    created = ContractPrice.objects.bulk_create(prices, batch_size=2000)
    _audited_many(CatalogChange.Action.CREATED, created, contract=contract, user=user, source=source, notify=notify)
    return created


@transaction.atomic
def contract_price_create(
    *, item: ContractItem, user: Any = None, source: str = "api", notify: bool = True, **fields: Any
) -> ContractPrice:
    """Add an effective-dated price to an item (price > 0, no overlapping window) and audit it."""
    _check_unknown(fields, PRICE_FIELDS, "price")
    price = ContractPrice(item=item, **fields)
    contract_price_validate(price)
    price.save()
    _audited(
        CatalogChange.Action.CREATED,
        price,
        contract=item.contract,
        user=user,
        source=source,
        notify=notify,
        detail={"vendor_sku": item.vendor_sku, **_snapshot(price, PRICE_FIELDS)},
    )
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
    _audited(
        CatalogChange.Action.UPDATED,
        price,
        contract=item.contract,
        user=user,
        source=source,
        notify=notify,
        detail={"vendor_sku": item.vendor_sku, **{f: [_plain(o), _plain(n)] for f, (o, n) in changes.items()}},
    )
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
    _audited(
        CatalogChange.Action.DELETED,
        price,
        contract=item.contract,
        user=user,
        source=source,
        notify=notify,
        detail=snapshot,
    )


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
    _audited(
        CatalogChange.Action.CREATED,
        participation,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail={"practice": practice.slug, **_snapshot(participation, PARTICIPATION_FIELDS)},
    )
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
    _audited(
        CatalogChange.Action.UPDATED,
        participation,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail={
            "practice": participation.practice.slug,
            **{f: [_plain(o), _plain(n)] for f, (o, n) in changes.items()},
        },
    )
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
    _audited(
        CatalogChange.Action.DELETED,
        participation,
        contract=contract,
        user=user,
        source=source,
        notify=notify,
        detail=snapshot,
    )
