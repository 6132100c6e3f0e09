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
from vendors.models import Category, Vendor, VendorAlias
from vendors.normalize import normalize_sku, normalize_vendor_name

SOURCE = "import_catalog"
HUNDRED = Decimal(100)

# Optional Contracts columns: tier measurement and commitment terms (contracts.services.ECONOMICS_FIELDS).
ECONOMICS_COLUMNS = services.ECONOMICS_FIELDS
BASES = {choice.value for choice in Basis}

# DESIGN §7: sheet -> (required columns, optional columns).
SHEETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Vendors": (("name",), ("category", "website", "aliases", "description", "contact_name", "contact_email")),
    "Contracts": (
        ("number", "vendor", "title", "start_date", "end_date"),
        (
            "admin_fee_pct",
            "discount_pct",
            "status",
            "renewal_notice_days",
            "terms",
            "contact_name",
            "contact_email",
            *ECONOMICS_COLUMNS,
        ),
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

# Optional text columns taken as they are (beyond DESIGN §7's: what a coalition also keeps on file).
VENDOR_TEXT_COLUMNS = ("category", "website", "description", "contact_name", "contact_email")
CONTRACT_TEXT_COLUMNS = ("terms", "contact_name", "contact_email")


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


PriceKey = tuple[str, str, str, Decimal | None]  # contract number, normalised SKU, tier, min_qty


@dataclass
class _Stored:
    """What the catalog already holds, read once per import (a few queries, never one per row)."""

    vendor_by_name: dict[str, Vendor]
    vendor_by_alias: dict[str, Vendor]
    contracts: dict[str, Contract]
    items: dict[tuple[str, str], ContractItem]
    prices: dict[PriceKey, list[ContractPrice]]
    practices: dict[str, Practice]
    participations: dict[tuple[str, str], Participation]

    @classmethod
    def load(cls, sheets: dict[str, SheetRows]) -> _Stored:
        numbers = {
            cell_text(values.get("contract")) for sheet in ("Items", "Prices") for _, values in sheets[sheet].rows
        }
        vendor_by_name: dict[str, Vendor] = {}
        for vendor in Vendor.objects.order_by("id"):
            vendor_by_name.setdefault(vendor.normalized_name, vendor)
        items = ContractItem.objects.filter(contract__number__in=numbers).select_related("contract__vendor")
        prices: dict[PriceKey, list[ContractPrice]] = defaultdict(list)
        for price in ContractPrice.objects.filter(item__contract__number__in=numbers).select_related("item__contract"):
            key = (price.item.contract.number, price.item.vendor_sku_normalized, price.tier, price.min_qty)
            prices[key].append(price)
        participations = Participation.objects.select_related("practice", "contract__vendor")
        return cls(
            vendor_by_name=vendor_by_name,
            vendor_by_alias={a.normalized_name: a.vendor for a in VendorAlias.objects.select_related("vendor")},
            contracts={c.number: c for c in Contract.objects.select_related("vendor")},
            items={(item.contract.number, item.vendor_sku_normalized): item for item in items},
            prices=prices,
            practices={practice.slug: practice for practice in Practice.objects.all()},
            participations={(p.practice.slug, p.contract.number): p for p in participations},
        )

    def vendor(self, name: str) -> Vendor | None:
        """The vendor whose name, else an alias, normalises like `name` (as vendors.services.vendor_find)."""
        normalized = normalize_vendor_name(name)
        return self.vendor_by_name.get(normalized) or self.vendor_by_alias.get(normalized)


def _service_check(p: _Parser, check: Any, obj: Any) -> None:
    """Run a service's no-query check on an unsaved object; each refusal lands on its column (a model field is
    named as its sheet column)."""
    try:
        check(obj)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                p.fail(name, message)


# --- one validator per sheet (no writes) -------------------------------------------------------------------------


@dataclass
class _Seen:
    """Keys the sheets define, so later sheets may name them (with the row that defined each)."""

    vendor_names: dict[str, int] = field(default_factory=dict)
    alias_owner: dict[str, str] = field(default_factory=dict)
    contracts: dict[str, int] = field(default_factory=dict)
    items: dict[tuple[str, str], int] = field(default_factory=dict)
    practices: dict[str, int] = field(default_factory=dict)


def _validate_aliases(
    p: _Parser, aliases: list[str], normalized: str, existing: Vendor | None, seen: _Seen, stored: _Stored
) -> None:
    for alias in aliases:
        alias_normalized = normalize_vendor_name(alias)
        if not alias_normalized:
            p.fail("aliases", f"alias {alias!r} needs at least one letter or digit")
            continue
        owner = seen.alias_owner.get(alias_normalized)
        if owner is not None and owner != normalized:
            p.fail("aliases", f"alias {alias!r} is already given to vendor {owner!r} in this sheet")
        aliased = stored.vendor_by_alias.get(alias_normalized)
        if aliased is not None and (existing is None or aliased.id != existing.id):
            p.fail("aliases", f"alias {alias!r} already belongs to vendor {aliased.name!r}")
        named = stored.vendor_by_name.get(alias_normalized)
        if named is not None and (existing is None or named.id != existing.id):
            p.fail("aliases", f"alias {alias!r} is the name of vendor {named.name!r}")
        seen.alias_owner[alias_normalized] = normalized


def _validate_vendors(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Vendors: a name with a letter or digit, once per sheet; a web address; aliases no other vendor owns."""
    url_validator = URLValidator()
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Vendors", number, values)
        name = p.text("name", required=True)
        normalized = normalize_vendor_name(name)
        if name and not normalized:
            p.fail("name", "needs at least one letter or digit")
        elif normalized in seen.vendor_names:
            p.fail("name", f"repeats the vendor of row {seen.vendor_names[normalized]}")
        website = p.text("website")
        if website:
            try:
                url_validator(website)
            except ValidationError:
                p.fail("website", f"{website!r} is not a web address (https://...)")
        aliases = [alias.strip() for alias in p.text("aliases").split(";") if alias.strip()]
        existing = stored.vendor(name) if normalized else None
        _validate_aliases(p, aliases, normalized, existing, seen, stored)
        if normalized:
            seen.vendor_names.setdefault(normalized, number)
        fields = {column: p.text(column) for column in VENDOR_TEXT_COLUMNS if p.has(column)}
        plans.append(
            {"row": number, "ok": p.ok, "name": name, "normalized": normalized, "aliases": aliases, "fields": fields}
        )
    for alias_normalized, owner in seen.alias_owner.items():
        if alias_normalized in seen.vendor_names and alias_normalized != owner:
            row = seen.vendor_names.get(owner, 0)
            errors.add("Vendors", row, "aliases", f"alias {alias_normalized!r} is the name of another vendor row")
    return plans


def _vendor_known(name: str, seen: _Seen, stored: _Stored) -> bool:
    normalized = normalize_vendor_name(name)
    return normalized in seen.vendor_names or normalized in seen.alias_owner or stored.vendor(name) is not None


def _contract_known(number: str, seen: _Seen, stored: _Stored) -> bool:
    return number in seen.contracts or number in stored.contracts


def _contract_named(p: _Parser, seen: _Seen, stored: _Stored) -> str:
    """The row's required contract number, which the Contracts sheet or the catalog must hold."""
    number = p.text("contract", required=True)
    if number and not _contract_known(number, seen, stored):
        p.fail("contract", f"no contract {number} in the Contracts sheet or the catalog")
    return number


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


def _validate_contracts(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Contracts: a number once per sheet, a known vendor, dates, and the services' contract checks."""
    statuses = {choice.value for choice in Contract.Status}
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Contracts", number, values)
        contract_number = p.text("number", required=True)
        if contract_number in seen.contracts:
            p.fail("number", f"repeats contract {contract_number} of row {seen.contracts[contract_number]}")
        vendor = p.text("vendor", required=True)
        if vendor and not _vendor_known(vendor, seen, stored):
            p.fail("vendor", f"no vendor named {vendor!r} in the Vendors sheet or the catalog")
        fields: dict[str, Any] = {
            "title": p.text("title", required=True),
            "start_date": p.date("start_date", required=True),
            "end_date": p.date("end_date", required=True),
            "status": p.text("status").lower() or Contract.Status.ACTIVE,
        }
        if fields["status"] not in statuses:
            p.fail("status", f"must be one of {', '.join(sorted(statuses))}")
        if p.has("discount_pct"):
            fields["discount_pct"] = p.decimal("discount_pct")
        if p.has("admin_fee_pct"):
            fields["admin_fee_pct"] = p.decimal("admin_fee_pct") or Decimal(0)
        notice = p.decimal("renewal_notice_days") if p.has("renewal_notice_days") else None
        if notice is not None and (notice < 0 or notice != notice.to_integral_value()):
            p.fail("renewal_notice_days", "must be a whole number of days")
        elif notice is not None:
            fields["renewal_notice_days"] = int(notice)
        fields.update({column: p.text(column) for column in CONTRACT_TEXT_COLUMNS if p.has(column)})
        fields.update(_economics_fields(p))
        _service_check(p, services.contract_check, Contract(**fields))
        if contract_number:
            seen.contracts.setdefault(contract_number, number)
        plans.append({"row": number, "ok": p.ok, "number": contract_number, "vendor": vendor, **fields})
    return plans


def _validate_items(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Items: a known contract, a SKU once per contract, and the services' item checks."""
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Items", number, values)
        contract_number = _contract_named(p, seen, stored)
        sku = p.text("vendor_sku", required=True)
        sku_normalized = normalize_sku(sku)
        key = (contract_number, sku_normalized)
        if sku_normalized and key in seen.items:
            p.fail("vendor_sku", f"repeats the item of row {seen.items[key]} on contract {contract_number}")
        units = p.decimal("units_per_uom")
        if units is not None and units != units.to_integral_value():
            p.fail("units_per_uom", "must be a whole number of at least 1")
            units = None
        fields = {
            "vendor_sku": sku,
            "manufacturer": p.text("manufacturer"),
            "mfr_part_number": p.text("mfr_part_number"),
            "description": p.text("description"),
            "uom": p.text("uom") or "EA",
            "units_per_uom": int(units) if units is not None else 1,
            "list_price": p.decimal("list_price"),
        }
        if sku:
            _service_check(p, services.contract_item_check, ContractItem(**fields))
        if sku_normalized:
            seen.items.setdefault(key, number)
        fields = {k: v for k, v in fields.items() if k == "vendor_sku" or p.has(k)}
        category = p.text("category") if p.has("category") else None
        plans.append({"row": number, "ok": p.ok, "contract": contract_number, "category_path": category, **fields})
    return plans


def _validate_prices(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Prices: a known item, the services' price checks, and no two windows of one key on a day."""
    sheet_prices: dict[tuple[str, str, str, Decimal | None, date], int] = {}
    windows: dict[PriceKey, list[tuple[date, date | None, int]]] = defaultdict(list)
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Prices", number, values)
        contract_number = p.text("contract", required=True)
        sku = p.text("vendor_sku", required=True)
        sku_normalized = normalize_sku(sku)
        key = (contract_number, sku_normalized)
        if contract_number and sku_normalized and key not in seen.items and key not in stored.items:
            p.fail("vendor_sku", f"no item {sku!r} on contract {contract_number} in the Items sheet or the catalog")
        price, start, end = (
            p.decimal("price", required=True),
            p.date("effective_from", required=True),
            p.date("effective_to"),
        )
        tier, min_qty = p.text("tier"), p.decimal("min_qty")
        fields = {"price": price, "effective_from": start, "effective_to": end, "tier": tier, "min_qty": min_qty}
        _service_check(p, services.contract_price_check, ContractPrice(**fields))
        if p.ok and start is not None:
            row_key = (*key, tier, min_qty, start)
            if row_key in sheet_prices:
                p.fail("effective_from", f"repeats the price of row {sheet_prices[row_key]}")
            else:
                sheet_prices[row_key] = number
                windows[(*key, tier, min_qty)].append((start, end, number))
        plans.append(
            {"row": number, "ok": p.ok, "contract": contract_number, "sku_normalized": sku_normalized, **fields}
        )
    _check_windows(windows, errors, stored)
    return plans


def _validate_practices(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Practices: a name and a slug (letters, digits, hyphens, underscores), once per sheet."""
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Practices", number, values)
        name, slug = p.text("name", required=True), p.text("slug", required=True)
        if slug:
            try:
                validate_slug(slug)
            except ValidationError:
                p.fail("slug", f"{slug!r} may hold only letters, digits, hyphens and underscores")
            if slug in seen.practices:
                p.fail("slug", f"repeats the practice of row {seen.practices[slug]}")
            seen.practices.setdefault(slug, number)
        plans.append({"row": number, "ok": p.ok, "name": name, "slug": slug})
    return plans


def _validate_participations(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Participation: a known practice and contract, a joining date, once per practice and contract."""
    sheet_participations: dict[tuple[str, str], int] = {}
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Participation", number, values)
        slug = p.text("practice", required=True)
        if slug and slug not in seen.practices and slug not in stored.practices:
            p.fail("practice", f"no practice with slug {slug!r} in the Practices sheet or the catalog")
        contract_number = _contract_named(p, seen, stored)
        joined_on = p.date("joined_on", required=True)
        if (slug, contract_number) in sheet_participations:
            p.fail("contract", f"repeats the participation of row {sheet_participations[(slug, contract_number)]}")
        sheet_participations.setdefault((slug, contract_number), number)
        plans.append(
            {
                "row": number,
                "ok": p.ok,
                "practice": slug,
                "contract": contract_number,
                "joined_on": joined_on,
                "tier": p.text("tier") if p.has("tier") else None,
            }
        )
    return plans


def _validate_tiers(rows: SheetRows, errors: _Collector, seen: _Seen, stored: _Stored) -> list[dict[str, Any]]:
    """Tiers: a known contract, a tier once per contract, a threshold of 0 or more."""
    tiers: dict[tuple[str, str], int] = {}
    plans = []
    for number, values in rows.rows:
        p = _Parser(errors, "Tiers", number, values)
        contract_number = _contract_named(p, seen, stored)
        tier = p.text("tier", required=True)
        if (contract_number, tier) in tiers:
            p.fail("tier", f"repeats the tier of row {tiers[(contract_number, tier)]}")
        tiers.setdefault((contract_number, tier), number)
        threshold = p.decimal("threshold", required=True)
        if threshold is not None and threshold < 0:
            p.fail("threshold", "must be 0 or more")
        plans.append({"row": number, "ok": p.ok, "contract": contract_number, "tier": tier, "threshold": threshold})
    return plans


def _validate(sheets: dict[str, SheetRows], errors: _Collector, stored: _Stored) -> _Plan:
    """Every sheet through its validator, in the order later sheets name earlier ones."""
    seen = _Seen()
    return _Plan(
        vendors=_validate_vendors(sheets["Vendors"], errors, seen, stored),
        contracts=_validate_contracts(sheets["Contracts"], errors, seen, stored),
        items=_validate_items(sheets["Items"], errors, seen, stored),
        prices=_validate_prices(sheets["Prices"], errors, seen, stored),
        practices=_validate_practices(sheets["Practices"], errors, seen, stored),
        participations=_validate_participations(sheets["Participation"], errors, seen, stored),
        tiers=_validate_tiers(sheets["Tiers"], errors, seen, stored),
    )


def _check_windows(
    windows: dict[PriceKey, list[tuple[date, date | None, int]]], errors: _Collector, stored: _Stored
) -> None:
    """DESIGN §3: one item/tier/min_qty never has two prices on a day, counting stored rows the sheet keeps."""
    for key, sheet_windows in windows.items():
        starts = {start for start, _, _ in sheet_windows}
        # A stored row with the same effective_from is the one the sheet row updates, not a rival.
        others = [
            (row.effective_from, row.effective_to, 0)
            for row in stored.prices.get(key, ())
            if row.effective_from not in starts
        ]
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
    """Writes the validated rows through the services: new items and prices of a contract in one audited batch
    each, everything else row by row; the stored catalog read once tells created, updated and unchanged apart."""

    def __init__(self, summary: ImportSummary, user: Any, stored: _Stored) -> None:
        self.summary, self.user, self.stored = summary, user, stored
        self.errors: list[str] = []
        self.categories: dict[str, Category | None] = {"": None}

    def category(self, path: str) -> Category | None:
        if path not in self.categories:
            self.categories[path] = vendor_services.category_get_or_create(path=path)
        return self.categories[path]

    def count(self, sheet: str, outcome: str, rows: int = 1) -> None:
        counts = self.summary.sheets[sheet]
        setattr(counts, outcome, getattr(counts, outcome) + rows)

    def fail(self, sheet: str, row: int, error: ValidationError) -> None:
        details = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
        for column, messages in details.items():
            for message in messages:
                self.errors.append(f"{sheet}!{row} {column}: {message}")

    def vendor(self, name: str) -> Vendor:
        found = self.stored.vendor(name)
        if found is None:
            raise ValidationError(f"no vendor named {name!r}")
        return found

    def write_vendor(self, row: dict[str, Any]) -> None:
        fields: dict[str, Any] = dict(row["fields"])
        if "category" in fields:
            fields["category"] = self.category(fields["category"])
        vendor = self.stored.vendor(row["name"])
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
                self.stored.vendor_by_alias[normalize_vendor_name(alias)] = vendor
                outcome = "updated" if outcome == "unchanged" else outcome
        self.stored.vendor_by_name.setdefault(row["normalized"], vendor)
        self.count("Vendors", outcome)

    def write_contract(self, row: dict[str, Any]) -> None:
        fields = {key: value for key, value in row.items() if key not in {"row", "ok", "number", "vendor"}}
        fields["vendor"] = self.vendor(row["vendor"])
        contract = self.stored.contracts.get(row["number"])
        if contract is None:
            contract = services.contract_create(
                number=row["number"], user=self.user, source=SOURCE, notify=False, **fields
            )
            self.count("Contracts", "created")
        elif services.changed_fields(contract, fields):
            self.summary.vendor_ids.add(contract.vendor_id)
            services.contract_update(contract=contract, user=self.user, source=SOURCE, notify=False, **fields)
            self.count("Contracts", "updated")
        else:
            self.count("Contracts", "unchanged")
            return
        self.summary.vendor_ids.add(contract.vendor_id)
        self.stored.contracts[row["number"]] = contract

    def item_fields(self, row: dict[str, Any]) -> dict[str, Any]:
        fields = {key: value for key, value in row.items() if key not in {"row", "ok", "contract", "category_path"}}
        if row["category_path"] is not None:
            fields["category"] = self.category(row["category_path"])
        return fields

    def write_item(self, row: dict[str, Any]) -> None:
        item = self.stored.items[(row["contract"], normalize_sku(row["vendor_sku"]))]
        fields = self.item_fields(row)
        if not services.changed_fields(item, services.item_values_normalized(fields)):
            self.count("Items", "unchanged")
            return
        services.contract_item_update(item=item, user=self.user, source=SOURCE, notify=False, **fields)
        self.count("Items", "updated")
        self.summary.vendor_ids.add(item.contract.vendor_id)

    def create_items(self, number: str, rows: list[dict[str, Any]]) -> None:
        contract = self.stored.contracts[number]
        try:
            created = services.contract_items_create(
                contract=contract,
                rows=[self.item_fields(row) for row in rows],
                user=self.user,
                source=SOURCE,
                notify=False,
            )
        except services.RowsInvalid as invalid:
            for position, error in invalid.problems.items():
                self.fail("Items", rows[position]["row"], error)
            return
        for item in created:
            item.contract = contract
            self.stored.items[(number, item.vendor_sku_normalized)] = item
        self.count("Items", "created", len(created))
        self.summary.vendor_ids.add(contract.vendor_id)

    def stored_price(self, row: dict[str, Any]) -> ContractPrice | None:
        key = (row["contract"], row["sku_normalized"], row["tier"], row["min_qty"])
        return next((p for p in self.stored.prices.get(key, ()) if p.effective_from == row["effective_from"]), None)

    def write_price(self, row: dict[str, Any]) -> None:
        existing = self.stored_price(row)
        assert existing is not None
        fields = {"price": row["price"], "effective_to": row["effective_to"]}
        if not services.changed_fields(existing, fields):
            self.count("Prices", "unchanged")
            return
        services.contract_price_update(contract_price=existing, user=self.user, source=SOURCE, notify=False, **fields)
        self.count("Prices", "updated")
        self.summary.vendor_ids.add(existing.item.contract.vendor_id)

    def create_prices(self, number: str, rows: list[dict[str, Any]]) -> None:
        contract = self.stored.contracts[number]
        priced = [
            (
                self.stored.items[(number, row["sku_normalized"])],
                {key: row[key] for key in ("price", "effective_from", "effective_to", "tier", "min_qty")},
            )
            for row in rows
        ]
        try:
            created = services.contract_prices_create(
                contract=contract, rows=priced, user=self.user, source=SOURCE, notify=False
            )
        except services.RowsInvalid as invalid:
            for position, error in invalid.problems.items():
                self.fail("Prices", rows[position]["row"], error)
            return
        self.count("Prices", "created", len(created))
        self.summary.vendor_ids.add(contract.vendor_id)

    def write_practice(self, row: dict[str, Any]) -> None:
        practice = self.stored.practices.get(row["slug"])
        if practice is None or practice.name != row["name"]:
            self.count("Practices", "created" if practice is None else "updated")
            practice = practice_create(name=row["name"], slug=row["slug"])
        else:
            self.count("Practices", "unchanged")
        self.stored.practices[row["slug"]] = practice

    def write_participation(self, row: dict[str, Any]) -> None:
        practice = self.stored.practices[row["practice"]]
        contract = self.stored.contracts[row["contract"]]
        participation = self.stored.participations.get((row["practice"], row["contract"]))
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
        contract = self.stored.contracts[row["contract"]]
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

    def each(self, sheet: str, rows: list[dict[str, Any]], write: Any) -> None:
        for row in rows:
            try:
                with transaction.atomic():
                    write(row)
            except ValidationError as error:
                self.fail(sheet, row["row"], error)

    def batched(self, sheet: str, rows: list[dict[str, Any]], known: Any, write: Any, create: Any) -> None:
        """Rows the catalog holds one by one (update or unchanged); new rows per contract in one batch."""
        new: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if known(row):
                self.each(sheet, [row], write)
            else:
                new[row["contract"]].append(row)
        for number, contract_rows in new.items():
            with transaction.atomic():
                create(number, contract_rows)


def _write(plan: _Plan, summary: ImportSummary, user: Any, stored: _Stored) -> list[str]:
    writer = _Writer(summary, user, stored)
    writer.each("Vendors", plan.vendors, writer.write_vendor)
    writer.each("Contracts", plan.contracts, writer.write_contract)
    writer.batched(
        "Items",
        plan.items,
        lambda row: (row["contract"], normalize_sku(row["vendor_sku"])) in stored.items,
        writer.write_item,
        writer.create_items,
    )
    writer.batched(
        "Prices",
        plan.prices,
        lambda row: writer.stored_price(row) is not None,
        writer.write_price,
        writer.create_prices,
    )
    writer.each("Practices", plan.practices, writer.write_practice)
    writer.each("Participation", plan.participations, writer.write_participation)
    writer.each("Tiers", plan.tiers, writer.write_tier)
    return writer.errors


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
    stored = _Stored.load(sheets)
    plan = _validate(sheets, collector, stored)
    if collector.errors:
        raise CatalogImportError(collector.errors)
    summary = ImportSummary(dry_run=dry_run)
    with transaction.atomic():
        write_errors = _write(plan, summary, user, stored)
        if write_errors:
            transaction.set_rollback(True)
            raise CatalogImportError(write_errors)
        if dry_run:
            transaction.set_rollback(True)
        elif summary.vendor_ids:
            # DESIGN §4 (last line): the listeners re-reconcile these vendors' lines after the commit.
            catalog_changed(vendor_ids=summary.vendor_ids)
    return summary
