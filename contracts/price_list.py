"""`price_list_import`: load a published price file into contract items and effective-dated prices.

Two shapes: a vendor's list for one contract (`contract_number=`), or a multi-contract list naming the contract,
vendor and contract/price dates on every row, as government schedules do (the VA Federal Supply Schedule file).
Columns are found by name (synonyms below) or mapped explicitly. Every row is loaded or reported with its row
number, column and reason; a new price closes the previous open window of the same item/tier/min_qty the day
before it starts (DESIGN §3: windows never overlap). One transaction; writes are batched, every change audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from contracts import services
from contracts.changes import catalog_changed
from contracts.models import CatalogChange, Contract, ContractItem, ContractPrice
from contracts.spreadsheet import (
    CellError,
    ImportRowsError,
    cell_date,
    cell_decimal,
    cell_text,
    header_key,
    sheet_rows,
    workbook_open,
)
from vendors import services as vendor_services
from vendors.models import Vendor
from vendors.normalize import fold_uom, normalize_sku, normalize_vendor_name

SOURCE = "import_price_list"
BATCH = 2000
FOUR_PLACES = Decimal("0.0001")

# Field -> header names that mean it (compared as header_key, i.e. lower-case with underscores).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "contract": ("contract", "contract_number", "contractnumber", "contract_no", "contract_#"),
    "vendor": ("vendor", "vendor_name", "vendorname", "supplier", "supplier_name"),
    "contract_start": ("contract_start", "contract_start_date", "contractstartdate"),
    "contract_end": ("contract_end", "contract_end_date", "contract_stop_date", "contractstopdate", "contractenddate"),
    "vendor_sku": ("vendor_sku", "sku", "item_number", "item_#", "catalog_number", "ndc", "ndcwithdashes", "ndc_code"),
    "description": ("description", "item_description", "product", "product_name", "tradename", "trade_name"),
    "manufacturer": ("manufacturer", "mfr", "manufacturer_name"),
    "mfr_part_number": ("mfr_part_number", "manufacturer_part_number", "mfr_part", "mpn"),
    "uom": ("uom", "unit_of_measure", "unit"),
    "units_per_uom": ("units_per_uom", "pack_size", "units_per_pack"),
    "list_price": ("list_price", "msrp", "list"),
    "price": ("price", "contract_price", "net_price", "unit_price"),
    "effective_from": ("effective_from", "price_start_date", "pricestartdate", "effective_date", "start_date"),
    "effective_to": ("effective_to", "price_stop_date", "pricestopdate", "price_end_date", "end_date"),
    "tier": ("tier", "price_type", "pricetype", "price_tier"),
    "min_qty": ("min_qty", "minimum_quantity", "min_quantity", "break_qty"),
}
REQUIRED = ("vendor_sku", "price")
REQUIRED_MULTI = ("contract", "vendor")


class PriceListImportError(ImportRowsError):
    """The price file has problems; nothing was written. `errors` lists each as "row N column: reason"."""

    source = "price file"


@dataclass
class PriceListSummary:
    """What a price-list load did (or would do on a dry run)."""

    rows_total: int = 0
    rows_loaded: int = 0
    errors: list[str] = field(default_factory=list)
    vendors_created: int = 0
    contracts_created: int = 0
    contracts_updated: int = 0
    items_created: int = 0
    items_unchanged: int = 0
    prices_created: int = 0
    prices_updated: int = 0
    prices_unchanged: int = 0
    prices_closed: int = 0
    vendor_ids: set[int] = field(default_factory=set)
    dry_run: bool = False

    def lines(self) -> list[str]:
        """A human summary, one fact per line."""
        return [
            f"Rows: {self.rows_total} read, {self.rows_loaded} loaded, {len(self.errors)} rejected",
            f"Vendors: {self.vendors_created} created",
            f"Contracts: {self.contracts_created} created, {self.contracts_updated} updated",
            f"Items: {self.items_created} created, {self.items_unchanged} already there",
            f"Prices: {self.prices_created} created, {self.prices_updated} updated, {self.prices_unchanged} unchanged, "
            f"{self.prices_closed} earlier open windows closed",
        ]


@dataclass
class _PriceRow:
    row: int
    contract: str
    vendor: str
    contract_start: date | None
    contract_end: date | None
    vendor_sku: str
    sku_normalized: str
    item_fields: dict[str, Any]
    price: Decimal
    effective_from: date
    effective_to: date | None
    tier: str
    min_qty: Decimal | None


def columns_resolve(headers: list[str], mapping: dict[str, str] | None) -> tuple[dict[str, int], list[str]]:
    """Column index per field: explicit mapping first (field -> header text), else the synonyms; plus errors."""
    keys = [header_key(header) for header in headers]
    found: dict[str, int] = {}
    errors: list[str] = []
    for field_name, header in (mapping or {}).items():
        if field_name not in SYNONYMS:
            errors.append(f"mapping: unknown field {field_name!r} (known: {', '.join(SYNONYMS)})")
        elif header_key(header) not in keys:
            errors.append(f"mapping: no column {header!r} for {field_name}")
        else:
            found[field_name] = keys.index(header_key(header))
    for field_name, names in SYNONYMS.items():
        if field_name in found:
            continue
        for name in names:
            if name in keys and keys.index(name) not in found.values():
                found[field_name] = keys.index(name)
                break
    return found, errors


class _RowReader:
    """Typed cells of one row by field name, collecting a "row N column: reason" for each unreadable one."""

    def __init__(self, number: int, cells: list[Any], columns: dict[str, int]) -> None:
        self.number, self.cells, self.columns = number, cells, columns
        self.problems: list[str] = []

    def raw(self, name: str) -> Any:
        index = self.columns.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(f"row {self.number} {column}: {reason}")

    def failed(self, column: str) -> bool:
        return any(problem.startswith(f"row {self.number} {column}:") for problem in self.problems)

    def text(self, name: str) -> str:
        return cell_text(self.raw(name))

    def decimal(self, name: str) -> Decimal | None:
        try:
            return cell_decimal(self.raw(name))
        except CellError as error:
            self.fail(name, str(error))
            return None

    def day(self, name: str) -> date | None:
        try:
            return cell_date(self.raw(name))
        except CellError as error:
            self.fail(name, str(error))
            return None


def _read_keys(reader: _RowReader, contract_number: str | None) -> tuple[str, str, str, str]:
    """The row's contract, vendor and vendor SKU (as given and normalised)."""
    contract = contract_number or reader.text("contract")
    vendor = reader.text("vendor")
    if not contract:
        reader.fail("contract", "is required")
    if contract_number is None and not vendor:
        reader.fail("vendor", "is required")
    sku = reader.text("vendor_sku")
    sku_normalized = normalize_sku(sku)
    if not sku_normalized:
        reader.fail("vendor_sku", "is required" if not sku else "needs at least one letter or digit")
    elif len(sku) > 80:
        reader.fail("vendor_sku", "is longer than 80 characters")
    return contract, vendor, sku, sku_normalized


def _read_price(reader: _RowReader) -> Decimal | None:
    """The price: required, above 0, at most 4 decimal places."""
    price = reader.decimal("price")
    if price is None and not reader.failed("price"):
        reader.fail("price", "is required")
    elif price is not None and price <= 0:
        reader.fail("price", "must be greater than 0")
    elif price is not None and price != price.quantize(FOUR_PLACES):
        reader.fail("price", f"{price} has more than 4 decimal places")
    return price


def _read_windows(
    reader: _RowReader, default_from: date | None
) -> tuple[date | None, date | None, date | None, date | None]:
    """The price's window (effective_from, else the default) and the contract's dates, each in order."""
    start = reader.day("effective_from")
    if start is None and not reader.failed("effective_from"):
        start = default_from
        if start is None:
            reader.fail("effective_from", "is required (or pass a default effective date)")
    end = reader.day("effective_to")
    if start and end and end < start:
        reader.fail("effective_to", "is before effective_from")
    contract_start, contract_end = reader.day("contract_start"), reader.day("contract_end")
    if contract_start and contract_end and contract_end < contract_start:
        reader.fail("contract_end", "is before contract_start")
    return start, end, contract_start, contract_end


def _read_terms(reader: _RowReader) -> tuple[str, Decimal | None, Decimal | None, Decimal | None]:
    """Tier, min_qty, list price and units per UOM, each checked."""
    tier = reader.text("tier")
    if len(tier) > 40:
        reader.fail("tier", "is longer than 40 characters")
    min_qty = reader.decimal("min_qty")
    if min_qty is not None and min_qty <= 0:
        reader.fail("min_qty", "must be greater than 0 (leave it blank for no minimum)")
    list_price = reader.decimal("list_price")
    if list_price is not None and list_price <= 0:
        reader.fail("list_price", "must be greater than 0")
    units = reader.decimal("units_per_uom")
    if units is not None and (units < 1 or units != units.to_integral_value()):
        reader.fail("units_per_uom", "must be a whole number of at least 1")
    return tier, min_qty, list_price, units


def _read_row(reader: _RowReader, *, contract_number: str | None, default_from: date | None) -> _PriceRow | None:
    contract, vendor, sku, sku_normalized = _read_keys(reader, contract_number)
    price = _read_price(reader)
    start, end, contract_start, contract_end = _read_windows(reader, default_from)
    tier, min_qty, list_price, units = _read_terms(reader)
    if reader.problems or price is None or start is None:
        return None
    return _PriceRow(
        row=reader.number,
        contract=contract,
        vendor=vendor,
        contract_start=contract_start,
        contract_end=contract_end,
        vendor_sku=sku,
        sku_normalized=sku_normalized,
        item_fields={
            "description": reader.text("description")[:500],
            "manufacturer": reader.text("manufacturer")[:200],
            "mfr_part_number": reader.text("mfr_part_number")[:80],
            "uom": fold_uom(reader.text("uom")) or "EA",
            "units_per_uom": int(units) if units is not None else 1,
            "list_price": list_price,
        },
        price=price,
        effective_from=start,
        effective_to=end,
        tier=tier,
        min_qty=min_qty,
    )


def _read_rows(
    rows: list[tuple[int, list[Any]]],
    columns: dict[str, int],
    *,
    contract_number: str | None,
    default_from: date | None,
    errors: list[str],
) -> list[_PriceRow]:
    parsed: list[_PriceRow] = []
    for number, cells in rows:
        reader = _RowReader(number, cells, columns)
        row = _read_row(reader, contract_number=contract_number, default_from=default_from)
        errors.extend(reader.problems)
        if row is not None:
            parsed.append(row)
    return parsed


def _audit_rows(objects: list[Any], *, user: Any, numbers: dict[int, str]) -> list[CatalogChange]:
    changed_by = user if getattr(user, "is_authenticated", False) else None
    audits = []
    detail: dict[str, Any]
    for obj in objects:
        if isinstance(obj, ContractItem):
            detail = {"vendor_sku": obj.vendor_sku, "description": obj.description, "uom": obj.uom}
            contract_id = obj.contract_id
        else:
            detail = {
                "vendor_sku": obj.item.vendor_sku,
                "price": format(obj.price.normalize(), "f"),
                "effective_from": obj.effective_from.isoformat(),
                "effective_to": obj.effective_to.isoformat() if obj.effective_to else None,
                "tier": obj.tier,
                "min_qty": format(obj.min_qty.normalize(), "f") if obj.min_qty is not None else None,
            }
            contract_id = obj.item.contract_id
        audits.append(
            CatalogChange(
                changed_by=changed_by,
                source=SOURCE,
                action=CatalogChange.Action.CREATED,
                object_type=type(obj).__name__,
                object_id=obj.pk,
                contract_number=numbers[contract_id],
                detail=detail,
            )
        )
    return audits


class _Loader:
    def __init__(self, summary: PriceListSummary, user: Any, multi: bool) -> None:
        self.summary, self.user, self.multi = summary, user, multi
        self.vendors: dict[str, Vendor] = {}
        self.contracts: dict[str, Contract] = {}

    def vendor(self, name: str) -> Vendor:
        normalized = normalize_vendor_name(name)
        if normalized not in self.vendors:
            vendor = vendor_services.vendor_find(name=name)
            if vendor is None:
                vendor = vendor_services.vendor_create(name=name)
                self.summary.vendors_created += 1
            self.vendors[normalized] = vendor
        return self.vendors[normalized]

    def contracts_load(self, rows: list[_PriceRow], errors: list[str]) -> None:
        stored = {c.number: c for c in Contract.objects.filter(number__in={row.contract for row in rows})}
        first_rows: dict[str, _PriceRow] = {}
        for row in rows:
            first_rows.setdefault(row.contract, row)
        for number, row in first_rows.items():
            contract = stored.get(number)
            if not self.multi:
                if contract is None:
                    errors.append(f"contract: no contract {number} in the catalog (create it first)")
                else:
                    self.contracts[number] = contract
                continue
            vendor = self.vendor(row.vendor)
            dates = {}
            if row.contract_start:
                dates["start_date"] = row.contract_start
            if row.contract_end:
                dates["end_date"] = row.contract_end
            if contract is None:
                if len(dates) < 2:
                    errors.append(f"row {row.row} contract_start: contract {number} is new and needs its dates")
                    continue
                contract = services.contract_create(
                    vendor=vendor,
                    number=number,
                    title=f"{row.vendor} {number}"[:300],
                    user=self.user,
                    source=SOURCE,
                    notify=False,
                    **dates,
                )
                self.summary.contracts_created += 1
            elif contract.vendor_id != vendor.id:
                errors.append(
                    f"row {row.row} vendor: contract {number} belongs to {contract.vendor.name!r}, not {row.vendor!r}"
                )
                continue
            elif services.changed_fields(contract, dates):
                services.contract_update(contract=contract, user=self.user, source=SOURCE, notify=False, **dates)
                self.summary.contracts_updated += 1
            self.contracts[number] = contract
            self.summary.vendor_ids.add(contract.vendor_id)

    def items_load(self, rows: list[_PriceRow]) -> dict[tuple[int, str], ContractItem]:
        contract_ids = [c.id for c in self.contracts.values()]
        items: dict[tuple[int, str], ContractItem] = {}
        for item in ContractItem.objects.filter(contract_id__in=contract_ids).select_related("contract"):
            items[(item.contract_id, item.vendor_sku_normalized)] = item
        new: list[ContractItem] = []
        seen: set[tuple[int, str]] = set()
        for row in rows:
            contract = self.contracts[row.contract]
            key = (contract.id, row.sku_normalized)
            if key in items:
                if key not in seen:
                    self.summary.items_unchanged += 1
                    seen.add(key)
                continue
            item = ContractItem(
                contract=contract,
                vendor_sku=row.vendor_sku,
                vendor_sku_normalized=row.sku_normalized,
                mfr_part_normalized=normalize_sku(row.item_fields["mfr_part_number"]),
                **row.item_fields,
            )
            items[key] = item
            seen.add(key)
            new.append(item)
        ContractItem.objects.bulk_create(new, batch_size=BATCH)
        numbers = {c.id: c.number for c in self.contracts.values()}
        CatalogChange.objects.bulk_create(_audit_rows(new, user=self.user, numbers=numbers), batch_size=BATCH)
        self.summary.items_created += len(new)
        if new:
            self.summary.vendor_ids.update(item.contract.vendor_id for item in new)
        return items

    def prices_load(self, rows: list[_PriceRow], items: dict[tuple[int, str], ContractItem], errors: list[str]) -> None:
        item_ids = [item.id for item in items.values()]
        windows: dict[tuple[int, str, Decimal | None], list[ContractPrice]] = defaultdict(list)
        for start in range(0, len(item_ids), BATCH):
            for price in ContractPrice.objects.filter(item_id__in=item_ids[start : start + BATCH]):
                windows[(price.item_id, price.tier, price.min_qty)].append(price)
        new: list[ContractPrice] = []
        for row in sorted(rows, key=lambda r: (r.effective_from, r.row)):
            item = items[(self.contracts[row.contract].id, row.sku_normalized)]
            siblings = windows[(item.id, row.tier, row.min_qty)]
            same_start = next((p for p in siblings if p.effective_from == row.effective_from), None)
            if same_start is not None:
                if same_start.pk is None:
                    errors.append(f"row {row.row} effective_from: repeats a price of the same item, tier and start")
                    continue
                changes = services.changed_fields(same_start, {"price": row.price, "effective_to": row.effective_to})
                if changes:
                    services.contract_price_update(
                        contract_price=same_start,
                        user=self.user,
                        source=SOURCE,
                        notify=False,
                        price=row.price,
                        effective_to=row.effective_to,
                    )
                    self.summary.prices_updated += 1
                    self.summary.vendor_ids.add(item.contract.vendor_id)
                else:
                    self.summary.prices_unchanged += 1
                self.summary.rows_loaded += 1
                continue
            # The previous open window of this item/tier/min_qty ends the day before the new price starts.
            for earlier in siblings:
                if earlier.effective_to is None and earlier.effective_from < row.effective_from:
                    closing = row.effective_from - timedelta(days=1)
                    if earlier.pk is None:
                        earlier.effective_to = closing
                    else:
                        services.contract_price_update(
                            contract_price=earlier, user=self.user, source=SOURCE, notify=False, effective_to=closing
                        )
                    self.summary.prices_closed += 1
            price = ContractPrice(
                item=item,
                price=row.price,
                effective_from=row.effective_from,
                effective_to=row.effective_to,
                tier=row.tier,
                min_qty=row.min_qty,
            )
            clash = next(
                (
                    p
                    for p in siblings
                    if services.windows_overlap(
                        p.effective_from, p.effective_to, price.effective_from, price.effective_to
                    )
                ),
                None,
            )
            if clash is not None:
                until = clash.effective_to.isoformat() if clash.effective_to else "open-ended"
                errors.append(
                    f"row {row.row} effective_from: window overlaps the price effective "
                    f"{clash.effective_from.isoformat()} to {until} of the same item, tier and minimum quantity"
                )
                continue
            siblings.append(price)
            new.append(price)
            self.summary.rows_loaded += 1
        ContractPrice.objects.bulk_create(new, batch_size=BATCH)
        numbers = {c.id: c.number for c in self.contracts.values()}
        CatalogChange.objects.bulk_create(_audit_rows(new, user=self.user, numbers=numbers), batch_size=BATCH)
        self.summary.prices_created += len(new)
        self.summary.vendor_ids.update(price.item.contract.vendor_id for price in new)


def price_list_import(
    *,
    path: str | Path | None = None,
    file: IO[bytes] | None = None,
    contract_number: str | None = None,
    multi: bool = False,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    effective_from: date | None = None,
    user: Any = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> PriceListSummary:
    """Load a price file for one contract (`contract_number`) or many (`multi=True`).

    By default all or nothing: raises PriceListImportError listing every rejected row ("row N column: reason") with
    nothing written. With `skip_invalid` the valid rows are loaded and the rejected ones listed in `summary.errors`.
    """
    if multi == (contract_number is not None):
        raise ValueError("Pass either contract_number= or multi=True.")
    if (path is None) == (file is None):
        raise ValueError("Pass exactly one of path= or file=.")
    try:
        workbook = workbook_open(path if path is not None else file)  # type: ignore[arg-type]
    except Exception as error:  # calamine raises its own types for unreadable files
        raise PriceListImportError([f"file: cannot be read as a spreadsheet ({error})"]) from None
    sheet_name = sheet or workbook.sheet_names[0]
    if sheet_name not in workbook.sheet_names:
        raise PriceListImportError([f"sheet: no sheet named {sheet_name!r}"])
    all_rows = [(n, cells) for n, cells in sheet_rows(workbook, sheet_name) if any(c not in (None, "") for c in cells)]
    if not all_rows:
        raise PriceListImportError(["file: the sheet is empty"])
    header = [cell_text(cell) for cell in all_rows[0][1]]
    columns, errors = columns_resolve(header, mapping)
    required = REQUIRED + (REQUIRED_MULTI if multi else ())
    errors += [f"row {all_rows[0][0]} {name}: required column not found" for name in required if name not in columns]
    if errors:
        raise PriceListImportError(errors)
    summary = PriceListSummary(rows_total=len(all_rows) - 1, dry_run=dry_run)
    rows = _read_rows(
        all_rows[1:], columns, contract_number=contract_number, default_from=effective_from, errors=errors
    )
    if errors and not skip_invalid:
        raise PriceListImportError(errors)
    with transaction.atomic():
        loader = _Loader(summary, user, multi)
        try:
            loader.contracts_load(rows, errors)
            if skip_invalid:
                rows = [row for row in rows if row.contract in loader.contracts]
            if not errors or skip_invalid:
                loader.prices_load(rows, loader.items_load(rows), errors)
        except ValidationError as error:
            errors.extend(f"catalog: {message}" for message in error.messages)
            skip_invalid = False  # a refused write leaves no consistent partial load: roll everything back
        summary.errors = errors
        if errors and not skip_invalid:
            transaction.set_rollback(True)
            raise PriceListImportError(errors)
        if dry_run:
            transaction.set_rollback(True)
        elif summary.vendor_ids:
            catalog_changed(vendor_ids=summary.vendor_ids)
    summary.vendor_ids = {vid for vid in summary.vendor_ids if vid is not None}
    return summary
