"""`catalog_import`: vendors, contracts, items, prices, practices and participations from one workbook.

The workbook format is DESIGN.md section 7. Every sheet is validated first and every problem is reported as
"Sheet!row column: reason" before anything is written; then everything is written in one transaction through the
services (audit rows, validation). Loading the same workbook twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction

from contracts import services
from contracts.changes import catalog_changed
from contracts.models import Basis, Contract, ContractItem, ContractPrice, ContractTier, Participation
from contracts.spreadsheet import (
    CellError,
    ImportRowsError,
    SheetRows,
    cell_date,
    cell_decimal,
    cell_text,
    sheet_find,
    sheet_read,
    workbook_open,
)
from gpo.members.models import Practice
from gpo.members.services import practice_create
from vendors import services as vendor_services
from vendors.models import Vendor, VendorAlias
from vendors.normalize import normalize_sku, normalize_vendor_name

SOURCE = "import_catalog"
HUNDRED = Decimal(100)

# Optional Contracts columns: tier measurement and commitment terms (contracts.services.ECONOMICS_FIELDS).
ECONOMICS_COLUMNS = services.ECONOMICS_FIELDS
BASES = {choice.value for choice in Basis}

# DESIGN §7: sheet -> (required columns, optional columns).
SHEETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Vendors": (("name",), ("category", "website", "aliases", "description")),
    "Contracts": (
        ("number", "vendor", "title", "start_date", "end_date"),
        ("admin_fee_pct", "discount_pct", "status", "renewal_notice_days", *ECONOMICS_COLUMNS),
    ),
    "Items": (
        ("contract", "vendor_sku"),
        ("manufacturer", "mfr_part_number", "description", "uom", "units_per_uom", "list_price", "category"),
    ),
    "Prices": (("contract", "vendor_sku", "price", "effective_from"), ("effective_to", "tier", "min_qty")),
    "Practices": (("name", "slug"), ()),
    "Participation": (("practice", "contract", "joined_on"), ("tier",)),
    # Optional (coalition economics): each tier's threshold in the contract's tier_basis over tier_period_months.
    "Tiers": (("contract", "tier", "threshold"), ()),
}
# Sheets a workbook may leave out without a line in the summary.
OPTIONAL_SHEETS = frozenset({"Tiers"})


class CatalogImportError(ImportRowsError):
    """The workbook has problems; nothing was written. `errors` lists each as "Sheet!row column: reason"."""

    source = "workbook"


@dataclass
class SheetCounts:
    """How many rows of one sheet were created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do), per sheet; `vendor_ids` whose catalog changed."""

    sheets: dict[str, SheetCounts] = field(default_factory=lambda: {name: SheetCounts() for name in SHEETS})
    vendor_ids: set[int] = field(default_factory=set)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return any(counts.created or counts.updated for counts in self.sheets.values())

    def lines(self) -> list[str]:
        """One line per sheet: "Prices: 3 created, 1 updated, 40 unchanged"."""
        return [
            f"{name}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
            for name, c in self.sheets.items()
            if name not in OPTIONAL_SHEETS or c.created or c.updated or c.unchanged
        ]


# --- parsing and validation (no writes) --------------------------------------------------------------------------


@dataclass
class _Row:
    sheet: str
    number: int
    values: dict[str, Any]


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, sheet: str, row: int, column: str, reason: str) -> None:
        self.errors.append(f"{sheet}!{row} {column}: {reason}")


def _read(workbook: Any, errors: _Collector) -> dict[str, SheetRows]:
    sheets: dict[str, SheetRows] = {}
    for name, (required, _) in SHEETS.items():
        actual = sheet_find(workbook, name)
        if actual is None:
            sheets[name] = SheetRows(name=name)
            continue
        rows = sheet_read(workbook, actual)
        rows.name = name
        missing = [column for column in required if column not in rows.columns]
        for column in missing:
            errors.add(name, 1, column, "required column is missing")
        if missing:
            rows.rows = []
        sheets[name] = rows
    return sheets


class _Parser:
    """Reads typed values from a row, recording a reason for every unreadable or missing required cell."""

    def __init__(self, errors: _Collector, sheet: str, number: int, values: dict[str, Any]) -> None:
        self.errors, self.sheet, self.number, self.values = errors, sheet, number, values
        self.ok = True

    def has(self, column: str) -> bool:
        return column in self.values

    def fail(self, column: str, reason: str) -> None:
        self.ok = False
        self.errors.add(self.sheet, self.number, column, reason)

    def text(self, column: str, *, required: bool = False) -> str:
        value = cell_text(self.values.get(column))
        if required and not value:
            self.fail(column, "is required")
        return value

    def decimal(self, column: str, *, required: bool = False) -> Decimal | None:
        try:
            value = cell_decimal(self.values.get(column))
        except CellError as error:
            self.fail(column, str(error))
            return None
        if required and value is None:
            self.fail(column, "is required")
        return value

    def date(self, column: str, *, required: bool = False) -> date | None:
        try:
            value = cell_date(self.values.get(column))
        except CellError as error:
            self.fail(column, str(error))
            return None
        if required and value is None:
            self.fail(column, "is required")
        return value


@dataclass
class _Plan:
    vendors: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    prices: list[dict[str, Any]] = field(default_factory=list)
    practices: list[dict[str, Any]] = field(default_factory=list)
    participations: list[dict[str, Any]] = field(default_factory=list)
    tiers: list[dict[str, Any]] = field(default_factory=list)


def _economics_fields(p: _Parser) -> dict[str, Any]:
    """The optional tier and commitment columns of a Contracts row that the sheet has (blank cells clear them)."""
    fields: dict[str, Any] = {}
    for column in ("tier_basis", "commitment_basis"):
        if p.has(column):
            basis = p.text(column).lower()
            if basis and basis not in BASES:
                p.fail(column, f"must be one of {', '.join(sorted(BASES))}")
            fields[column] = basis
    if p.has("tier_period_months"):
        months = p.decimal("tier_period_months")
        if months is not None and (months != months.to_integral_value() or not 1 <= months <= 36):
            p.fail("tier_period_months", "must be a whole number of months from 1 to 36")
        fields["tier_period_months"] = int(months) if months is not None else None
    for column in ("commitment_amount", "commitment_penalty"):
        if p.has(column):
            amount = p.decimal(column)
            if amount is not None and amount < 0:
                p.fail(column, "must not be negative")
            fields[column] = amount
    for column in ("commitment_start", "commitment_end"):
        if p.has(column):
            fields[column] = p.date(column)
    if p.has("commitment_drop_tier"):
        fields["commitment_drop_tier"] = p.text("commitment_drop_tier")
    return fields


def _validate_tiers(sheets: dict[str, SheetRows], errors: _Collector, contract_known: Any, plan: _Plan) -> None:
    seen: dict[tuple[str, str], int] = {}
    for number, values in sheets["Tiers"].rows:
        p = _Parser(errors, "Tiers", number, values)
        contract_number = p.text("contract", required=True)
        if contract_number and not contract_known(contract_number):
            p.fail("contract", f"no contract {contract_number} in the Contracts sheet or the catalog")
        tier = p.text("tier", required=True)
        if (contract_number, tier) in seen:
            p.fail("tier", f"repeats the tier of row {seen[(contract_number, tier)]}")
        seen.setdefault((contract_number, tier), number)
        threshold = p.decimal("threshold", required=True)
        if threshold is not None and threshold < 0:
            p.fail("threshold", "must be 0 or more")
        plan.tiers.append(
            {"row": number, "ok": p.ok, "contract": contract_number, "tier": tier, "threshold": threshold}
        )


def _validate(sheets: dict[str, SheetRows], errors: _Collector) -> _Plan:
    plan = _Plan()
    url_validator = URLValidator()

    # Vendors: the sheet's names (normalised) plus those already stored.
    sheet_vendor_names: dict[str, int] = {}
    alias_owner: dict[str, str] = {}
    for number, values in sheets["Vendors"].rows:
        p = _Parser(errors, "Vendors", number, values)
        name = p.text("name", required=True)
        normalized = normalize_vendor_name(name)
        if name and not normalized:
            p.fail("name", "needs at least one letter or digit")
        elif normalized in sheet_vendor_names:
            p.fail("name", f"repeats the vendor of row {sheet_vendor_names[normalized]}")
        website = p.text("website")
        if website:
            try:
                url_validator(website)
            except ValidationError:
                p.fail("website", f"{website!r} is not a web address (https://...)")
        aliases = [alias.strip() for alias in p.text("aliases").split(";") if alias.strip()]
        existing = vendor_services.vendor_find(name=name) if normalized else None
        for alias in aliases:
            alias_normalized = normalize_vendor_name(alias)
            if not alias_normalized:
                p.fail("aliases", f"alias {alias!r} needs at least one letter or digit")
                continue
            owner = alias_owner.get(alias_normalized)
            if owner is not None and owner != normalized:
                p.fail("aliases", f"alias {alias!r} is already given to vendor {owner!r} in this sheet")
            stored = VendorAlias.objects.filter(normalized_name=alias_normalized).select_related("vendor").first()
            if stored is not None and (existing is None or stored.vendor_id != existing.id):
                p.fail("aliases", f"alias {alias!r} already belongs to vendor {stored.vendor.name!r}")
            stored_vendor = Vendor.objects.filter(normalized_name=alias_normalized).first()
            if stored_vendor is not None and (existing is None or stored_vendor.id != existing.id):
                p.fail("aliases", f"alias {alias!r} is the name of vendor {stored_vendor.name!r}")
            alias_owner[alias_normalized] = normalized
        if normalized:
            sheet_vendor_names.setdefault(normalized, number)
        plan.vendors.append(
            {
                "row": number,
                "ok": p.ok,
                "name": name,
                "normalized": normalized,
                "category": p.text("category") if p.has("category") else None,
                "website": website if p.has("website") else None,
                "description": p.text("description") if p.has("description") else None,
                "aliases": aliases,
            }
        )
    for alias_normalized, owner in alias_owner.items():
        if alias_normalized in sheet_vendor_names and alias_normalized != owner:
            row = sheet_vendor_names.get(owner, 0)
            errors.add("Vendors", row, "aliases", f"alias {alias_normalized!r} is the name of another vendor row")

    def vendor_known(name: str) -> bool:
        normalized = normalize_vendor_name(name)
        return (
            normalized in sheet_vendor_names
            or normalized in alias_owner
            or vendor_services.vendor_find(name=name) is not None
        )

    # Contracts.
    sheet_contracts: dict[str, int] = {}
    statuses = {choice.value for choice in Contract.Status}
    for number, values in sheets["Contracts"].rows:
        p = _Parser(errors, "Contracts", number, values)
        contract_number = p.text("number", required=True)
        if contract_number in sheet_contracts:
            p.fail("number", f"repeats contract {contract_number} of row {sheet_contracts[contract_number]}")
        vendor = p.text("vendor", required=True)
        if vendor and not vendor_known(vendor):
            p.fail("vendor", f"no vendor named {vendor!r} in the Vendors sheet or the catalog")
        title = p.text("title", required=True)
        start, end = p.date("start_date", required=True), p.date("end_date", required=True)
        if start and end and end < start:
            p.fail("end_date", "is before start_date")
        admin_fee = p.decimal("admin_fee_pct") if p.has("admin_fee_pct") else None
        if admin_fee is not None and not (0 <= admin_fee <= HUNDRED):
            p.fail("admin_fee_pct", "must be a percentage between 0 and 100")
        discount = p.decimal("discount_pct")
        if discount is not None and not (0 < discount < HUNDRED):
            p.fail("discount_pct", "must be a percentage above 0 and below 100 (12.5 means 12.5 % off list)")
        status = p.text("status").lower() or Contract.Status.ACTIVE
        if status not in statuses:
            p.fail("status", f"must be one of {', '.join(sorted(statuses))}")
        notice = p.decimal("renewal_notice_days") if p.has("renewal_notice_days") else None
        if notice is not None and (notice < 0 or notice != notice.to_integral_value()):
            p.fail("renewal_notice_days", "must be a whole number of days")
        if contract_number:
            sheet_contracts.setdefault(contract_number, number)
        fields: dict[str, Any] = {
            "title": title,
            "start_date": start,
            "end_date": end,
            "discount_pct": discount if p.has("discount_pct") else None,
            "status": status,
        }
        if not p.has("discount_pct"):
            fields.pop("discount_pct")
        if p.has("admin_fee_pct"):
            fields["admin_fee_pct"] = admin_fee if admin_fee is not None else Decimal(0)
        if notice is not None:
            fields["renewal_notice_days"] = int(notice)
        fields.update(_economics_fields(p))
        plan.contracts.append({"row": number, "ok": p.ok, "number": contract_number, "vendor": vendor, **fields})

    def contract_known(number: str) -> bool:
        return number in sheet_contracts or Contract.objects.filter(number=number).exists()

    # Items.
    sheet_items: dict[tuple[str, str], int] = {}
    for number, values in sheets["Items"].rows:
        p = _Parser(errors, "Items", number, values)
        contract_number = p.text("contract", required=True)
        if contract_number and not contract_known(contract_number):
            p.fail("contract", f"no contract {contract_number} in the Contracts sheet or the catalog")
        sku = p.text("vendor_sku", required=True)
        sku_normalized = normalize_sku(sku)
        if sku and not sku_normalized:
            p.fail("vendor_sku", "needs at least one letter or digit")
        key = (contract_number, sku_normalized)
        if sku_normalized and key in sheet_items:
            p.fail("vendor_sku", f"repeats the item of row {sheet_items[key]} on contract {contract_number}")
        units = p.decimal("units_per_uom")
        if units is not None and (units < 1 or units != units.to_integral_value()):
            p.fail("units_per_uom", "must be a whole number of at least 1")
        list_price = p.decimal("list_price")
        if list_price is not None and list_price <= 0:
            p.fail("list_price", "must be greater than 0")
        if sku_normalized:
            sheet_items.setdefault(key, number)
        fields = {
            "vendor_sku": sku,
            "manufacturer": p.text("manufacturer"),
            "mfr_part_number": p.text("mfr_part_number"),
            "description": p.text("description"),
            "uom": p.text("uom") or "EA",
            "units_per_uom": int(units) if units is not None else 1,
            "list_price": list_price,
        }
        fields = {k: v for k, v in fields.items() if k == "vendor_sku" or p.has(k)}
        category = p.text("category") if p.has("category") else None
        plan.items.append({"row": number, "ok": p.ok, "contract": contract_number, "category_path": category, **fields})

    def item_known(contract_number: str, sku_normalized: str) -> bool:
        return (contract_number, sku_normalized) in sheet_items or ContractItem.objects.filter(
            contract__number=contract_number, vendor_sku_normalized=sku_normalized
        ).exists()

    # Prices.
    sheet_prices: dict[tuple[str, str, str, Decimal | None, date], int] = {}
    windows: dict[tuple[str, str, str, Decimal | None], list[tuple[date, date | None, int]]] = defaultdict(list)
    for number, values in sheets["Prices"].rows:
        p = _Parser(errors, "Prices", number, values)
        contract_number = p.text("contract", required=True)
        sku = p.text("vendor_sku", required=True)
        sku_normalized = normalize_sku(sku)
        if contract_number and sku_normalized and not item_known(contract_number, sku_normalized):
            p.fail("vendor_sku", f"no item {sku!r} on contract {contract_number} in the Items sheet or the catalog")
        price = p.decimal("price", required=True)
        if price is not None and price <= 0:
            p.fail("price", "must be greater than 0")
        start, end = p.date("effective_from", required=True), p.date("effective_to")
        if start and end and end < start:
            p.fail("effective_to", "is before effective_from")
        tier = p.text("tier")
        min_qty = p.decimal("min_qty")
        if min_qty is not None and min_qty <= 0:
            p.fail("min_qty", "must be greater than 0 (leave it blank for no minimum)")
        if p.ok and start is not None:
            key5 = (contract_number, sku_normalized, tier, min_qty, start)
            if key5 in sheet_prices:
                p.fail("effective_from", f"repeats the price of row {sheet_prices[key5]}")
            else:
                sheet_prices[key5] = number
                windows[(contract_number, sku_normalized, tier, min_qty)].append((start, end, number))
        plan.prices.append(
            {
                "row": number,
                "ok": p.ok,
                "contract": contract_number,
                "vendor_sku": sku,
                "sku_normalized": sku_normalized,
                "price": price,
                "effective_from": start,
                "effective_to": end,
                "tier": tier,
                "min_qty": min_qty,
            }
        )
    _check_windows(windows, errors)

    # Practices.
    sheet_practices: dict[str, int] = {}
    for number, values in sheets["Practices"].rows:
        p = _Parser(errors, "Practices", number, values)
        name, slug = p.text("name", required=True), p.text("slug", required=True)
        if slug:
            try:
                validate_slug(slug)
            except ValidationError:
                p.fail("slug", f"{slug!r} may hold only letters, digits, hyphens and underscores")
            if slug in sheet_practices:
                p.fail("slug", f"repeats the practice of row {sheet_practices[slug]}")
            sheet_practices.setdefault(slug, number)
        plan.practices.append({"row": number, "ok": p.ok, "name": name, "slug": slug})

    # Participation.
    sheet_participations: dict[tuple[str, str], int] = {}
    for number, values in sheets["Participation"].rows:
        p = _Parser(errors, "Participation", number, values)
        slug = p.text("practice", required=True)
        if slug and slug not in sheet_practices and not Practice.objects.filter(slug=slug).exists():
            p.fail("practice", f"no practice with slug {slug!r} in the Practices sheet or the catalog")
        contract_number = p.text("contract", required=True)
        if contract_number and not contract_known(contract_number):
            p.fail("contract", f"no contract {contract_number} in the Contracts sheet or the catalog")
        joined_on = p.date("joined_on", required=True)
        if (slug, contract_number) in sheet_participations:
            p.fail("contract", f"repeats the participation of row {sheet_participations[(slug, contract_number)]}")
        sheet_participations.setdefault((slug, contract_number), number)
        plan.participations.append(
            {
                "row": number,
                "ok": p.ok,
                "practice": slug,
                "contract": contract_number,
                "joined_on": joined_on,
                "tier": p.text("tier") if p.has("tier") else None,
            }
        )
    _validate_tiers(sheets, errors, contract_known, plan)
    return plan


def _check_windows(
    windows: dict[tuple[str, str, str, Decimal | None], list[tuple[date, date | None, int]]], errors: _Collector
) -> None:
    """DESIGN §3: one item/tier/min_qty never has two prices on a day, counting stored rows the sheet keeps."""
    for (contract_number, sku_normalized, tier, min_qty), sheet_windows in windows.items():
        starts = {start for start, _, _ in sheet_windows}
        stored = ContractPrice.objects.filter(
            item__contract__number=contract_number, item__vendor_sku_normalized=sku_normalized, tier=tier
        )
        stored = stored.filter(min_qty__isnull=True) if min_qty is None else stored.filter(min_qty=min_qty)
        # A stored row with the same effective_from is the one the sheet row updates, not a rival.
        others = [(row.effective_from, row.effective_to, 0) for row in stored if row.effective_from not in starts]
        everything = sorted(sheet_windows + others, key=lambda window: window[0])
        for index, (start, end, row) in enumerate(everything):
            for other_start, other_end, other_row in everything[index + 1 :]:
                if not services.windows_overlap(start, end, other_start, other_end):
                    continue
                culprit = row or other_row
                if other_row and row:
                    reason = f"window overlaps the price of row {min(row, other_row)}"
                    culprit = max(row, other_row)
                else:
                    stored_start = start if not row else other_start
                    reason = f"window overlaps the stored price effective from {stored_start.isoformat()}"
                errors.add("Prices", culprit, "effective_from", reason)


# --- writing -----------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, summary: ImportSummary, user: Any) -> None:
        self.summary, self.user = summary, user
        self.vendors: dict[str, Vendor] = {}
        self.contracts: dict[str, Contract] = {}
        self.practices: dict[str, Practice] = {}

    def count(self, sheet: str, outcome: str) -> None:
        counts = self.summary.sheets[sheet]
        setattr(counts, outcome, getattr(counts, outcome) + 1)

    def vendor(self, name: str) -> Vendor:
        normalized = normalize_vendor_name(name)
        if normalized not in self.vendors:
            found = vendor_services.vendor_find(name=name)
            if found is None:
                raise ValidationError(f"no vendor named {name!r}")
            self.vendors[normalized] = found
        return self.vendors[normalized]

    def contract(self, number: str) -> Contract:
        if number not in self.contracts:
            self.contracts[number] = Contract.objects.select_related("vendor").get(number=number)
        return self.contracts[number]

    def write_vendor(self, row: dict[str, Any]) -> None:
        category = vendor_services.category_get_or_create(path=row["category"]) if row["category"] else None
        fields: dict[str, Any] = {}
        if row["category"] is not None:
            fields["category"] = category
        for key in ("website", "description"):
            if row[key] is not None:
                fields[key] = row[key]
        vendor = vendor_services.vendor_find(name=row["name"])
        if vendor is None:
            vendor = vendor_services.vendor_create(name=row["name"], **fields)
            outcome = "created"
        else:
            changed = [key for key, value in fields.items() if getattr(vendor, key) != value]
            if changed:
                vendor_services.vendor_update(vendor=vendor, **fields)
            outcome = "updated" if changed else "unchanged"
        known = set(vendor.aliases.values_list("normalized_name", flat=True)) | {vendor.normalized_name}
        for alias in row["aliases"]:
            if normalize_vendor_name(alias) not in known:
                vendor_services.vendor_alias_add(vendor=vendor, name=alias)
                known.add(normalize_vendor_name(alias))
                outcome = "updated" if outcome == "unchanged" else outcome
        self.vendors[row["normalized"]] = vendor
        self.count("Vendors", outcome)

    def write_contract(self, row: dict[str, Any]) -> None:
        fields = {key: value for key, value in row.items() if key not in {"row", "ok", "number", "vendor"}}
        fields["vendor"] = self.vendor(row["vendor"])
        contract = Contract.objects.select_related("vendor").filter(number=row["number"]).first()
        if contract is None:
            contract = services.contract_create(
                number=row["number"], user=self.user, source=SOURCE, notify=False, **fields
            )
            self.count("Contracts", "created")
        elif services.changed_fields(contract, fields):
            old_vendor = contract.vendor_id
            services.contract_update(contract=contract, user=self.user, source=SOURCE, notify=False, **fields)
            self.summary.vendor_ids.add(old_vendor)
            self.count("Contracts", "updated")
        else:
            self.count("Contracts", "unchanged")
            self.contracts[row["number"]] = contract
            return
        self.summary.vendor_ids.add(contract.vendor_id)
        self.contracts[row["number"]] = contract

    def write_item(self, row: dict[str, Any]) -> None:
        contract = self.contract(row["contract"])
        fields = {key: value for key, value in row.items() if key not in {"row", "ok", "contract", "category_path"}}
        if row["category_path"] is not None:
            fields["category"] = (
                vendor_services.category_get_or_create(path=row["category_path"]) if row["category_path"] else None
            )
        item = ContractItem.objects.filter(
            contract=contract, vendor_sku_normalized=normalize_sku(row["vendor_sku"])
        ).first()
        if item is None:
            services.contract_item_create(contract=contract, user=self.user, source=SOURCE, notify=False, **fields)
            self.count("Items", "created")
        elif services.changed_fields(item, services.item_values_normalized(fields)):
            services.contract_item_update(item=item, user=self.user, source=SOURCE, notify=False, **fields)
            self.count("Items", "updated")
        else:
            self.count("Items", "unchanged")
            return
        self.summary.vendor_ids.add(contract.vendor_id)

    def write_price(self, row: dict[str, Any]) -> None:
        contract = self.contract(row["contract"])
        item = ContractItem.objects.get(contract=contract, vendor_sku_normalized=row["sku_normalized"])
        price = ContractPrice.objects.filter(
            item=item, tier=row["tier"], effective_from=row["effective_from"], min_qty=row["min_qty"]
        )
        if row["min_qty"] is None:
            price = ContractPrice.objects.filter(
                item=item, tier=row["tier"], effective_from=row["effective_from"], min_qty__isnull=True
            )
        existing = price.first()
        fields = {"price": row["price"], "effective_to": row["effective_to"]}
        if existing is None:
            services.contract_price_create(
                item=item,
                user=self.user,
                source=SOURCE,
                notify=False,
                effective_from=row["effective_from"],
                tier=row["tier"],
                min_qty=row["min_qty"],
                **fields,
            )
            self.count("Prices", "created")
        elif services.changed_fields(existing, fields):
            services.contract_price_update(
                contract_price=existing, user=self.user, source=SOURCE, notify=False, **fields
            )
            self.count("Prices", "updated")
        else:
            self.count("Prices", "unchanged")
            return
        self.summary.vendor_ids.add(contract.vendor_id)

    def write_practice(self, row: dict[str, Any]) -> None:
        practice = Practice.objects.filter(slug=row["slug"]).first()
        if practice is None or practice.name != row["name"]:
            self.count("Practices", "created" if practice is None else "updated")
            practice = practice_create(name=row["name"], slug=row["slug"])
        else:
            self.count("Practices", "unchanged")
        self.practices[row["slug"]] = practice

    def write_participation(self, row: dict[str, Any]) -> None:
        practice = self.practices.get(row["practice"]) or Practice.objects.get(slug=row["practice"])
        contract = self.contract(row["contract"])
        participation = Participation.objects.filter(practice=practice, contract=contract).first()
        fields: dict[str, Any] = {"joined_on": row["joined_on"]}
        if row["tier"] is not None:
            fields["tier"] = row["tier"]
        if participation is None:
            services.participation_create(
                practice=practice, contract=contract, user=self.user, source=SOURCE, notify=False, **fields
            )
            self.count("Participation", "created")
        elif services.changed_fields(participation, fields):
            services.participation_update(
                participation=participation, user=self.user, source=SOURCE, notify=False, **fields
            )
            self.count("Participation", "updated")
        else:
            self.count("Participation", "unchanged")
            return
        self.summary.vendor_ids.add(contract.vendor_id)

    def write_tier(self, row: dict[str, Any]) -> None:
        contract = self.contract(row["contract"])
        tier = ContractTier.objects.filter(contract=contract, tier=row["tier"]).first()
        if tier is None:
            services.contract_tier_create(
                contract=contract, user=self.user, source=SOURCE, tier=row["tier"], threshold=row["threshold"]
            )
            self.count("Tiers", "created")
        elif services.changed_fields(tier, {"threshold": row["threshold"]}):
            services.contract_tier_update(contract_tier=tier, user=self.user, source=SOURCE, threshold=row["threshold"])
            self.count("Tiers", "updated")
        else:
            self.count("Tiers", "unchanged")


def _write(plan: _Plan, summary: ImportSummary, user: Any) -> list[str]:
    writer = _Writer(summary, user)
    errors: list[str] = []
    steps = [
        ("Vendors", plan.vendors, writer.write_vendor),
        ("Contracts", plan.contracts, writer.write_contract),
        ("Items", plan.items, writer.write_item),
        ("Prices", plan.prices, writer.write_price),
        ("Practices", plan.practices, writer.write_practice),
        ("Participation", plan.participations, writer.write_participation),
        ("Tiers", plan.tiers, writer.write_tier),
    ]
    for sheet, rows, write in steps:
        for row in rows:
            try:
                with transaction.atomic():
                    write(row)
            except ValidationError as error:
                details = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
                for column, messages in details.items():
                    for message in messages:
                        errors.append(f"{sheet}!{row['row']} {column}: {message}")
    return errors


def catalog_import(
    *,
    path: str | Path | None = None,
    file: IO[bytes] | None = None,
    user: Any = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Load a catalog workbook (DESIGN §7): validate every sheet, then write all of it in one transaction.

    Raises CatalogImportError listing every problem, with nothing written. A dry run validates and writes inside
    a transaction that is rolled back, so its summary equals the real run's.
    """
    if (path is None) == (file is None):
        raise ValueError("Pass exactly one of path= or file=.")
    collector = _Collector()
    try:
        workbook = workbook_open(path if path is not None else file)  # type: ignore[arg-type]
    except Exception as error:  # calamine raises its own types for unreadable files
        raise CatalogImportError([f"workbook: cannot be read as a spreadsheet ({error})"]) from None
    sheets = _read(workbook, collector)
    plan = _validate(sheets, collector)
    if collector.errors:
        raise CatalogImportError(collector.errors)
    summary = ImportSummary(dry_run=dry_run)
    with transaction.atomic():
        write_errors = _write(plan, summary, user)
        if write_errors:
            transaction.set_rollback(True)
            raise CatalogImportError(write_errors)
        if dry_run:
            transaction.set_rollback(True)
        elif summary.vendor_ids:
            # DESIGN §4 (last line): the listeners re-reconcile these vendors' lines after the commit.
            catalog_changed(vendor_ids=summary.vendor_ids)
    return summary
