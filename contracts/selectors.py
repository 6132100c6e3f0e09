"""Reads for contracts, items and the prices a practice pays (STYLE.md rule 2).

The catalog is shared by every member (DESIGN.md section 1): contracts are visible to everyone signed in, drafts only
to coalition staff. Which price a practice sees follows DESIGN §4 step 4 for one item on one day.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Round
from django.http import Http404

from contracts import pricing
from contracts.models import Contract, ContractItem, ContractPrice, Participation
from contracts.pricing import (
    CONTRACT_COLUMNS,
    ITEM_COLUMNS,
    PARTICIPATION_COLUMNS,
    PRICE_COLUMNS,
    CatalogSlice,
    ContractTerms,
    ItemTerms,
    ParticipationTerms,
    PriceRow,
)
from gpo.cache import cached_by_version
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.members.scoping import is_coalition_staff
from vendors import selectors as vendor_selectors
from vendors.models import Category, Vendor
from vendors.normalize import fold_uom, normalize_sku


def contract_list(*, user: Any) -> QuerySet[Contract]:
    """Contracts the user may browse (drafts for coalition staff only), with vendor and their item count; no items.

    The list pages stay small whatever the catalog's size (issue 16: 50 contracts with their items made a 1 MB
    page); `contract_detail_list` loads the items for one contract's page.
    """
    if not getattr(user, "is_authenticated", False):
        return Contract.objects.none()
    queryset = Contract.objects.select_related("vendor", "vendor__category").annotate(item_count=Count("items"))
    if not scoping.is_coalition_staff(user):
        queryset = queryset.exclude(status=Contract.Status.DRAFT)
    return queryset.order_by("vendor__name", "number")


def contract_detail_list(*, user: Any) -> QuerySet[Contract]:
    """The contracts of `contract_list` with their items loaded (ordered by vendor SKU): one contract's detail."""
    return contract_list(user=user).prefetch_related(
        Prefetch("items", queryset=ContractItem.objects.order_by("vendor_sku", "id"))
    )


def contract_in_force(contract: Contract, on: date) -> bool:
    """DESIGN §4: not a draft and start <= on <= end (both inclusive), as contracts.pricing states it."""
    return bool(pricing.in_force(contract.status == Contract.Status.DRAFT, contract.start_date, contract.end_date, on))


@dataclass(frozen=True)
class VolumeBreak:
    """A price that applies from a minimum quantity."""

    min_qty: Decimal
    price: Decimal


@dataclass(frozen=True)
class ItemPrice:
    """What a practice is charged for one item on one day (contracts.pricing.price_item), and the row behind it.

    on_joining: the practice is not in the contract that day (not joined, or its participation starts later), so
    the price is the one it gets by joining (DESIGN §4.6 not_participating). Volume breaks are the larger
    quantities from which the price drops.
    """

    item_id: int
    price: Decimal | None
    tier: str = ""
    effective_from: date | None = None
    effective_to: date | None = None
    min_qty: Decimal | None = None
    volume_breaks: tuple[VolumeBreak, ...] = field(default_factory=tuple)
    on_joining: bool = False

    def discount_pct(self, list_price: Decimal | None) -> Decimal | None:
        """Percent below list ((L - c) / L x 100), None without both prices."""
        if self.price is None or not list_price:
            return None
        return (list_price - self.price) * 100 / list_price


def participations_for_practice(*, practice: Practice | None, contract_ids: Iterable[int]) -> dict[int, Participation]:
    """The practice's participation per contract id (one query)."""
    if practice is None:
        return {}
    rows = Participation.objects.filter(practice=practice, contract_id__in=set(contract_ids))
    return {row.contract_id: row for row in rows}


def item_prices_for_practice(
    *, items: Iterable[ContractItem], practice: Practice | None, on: date, quantity: Decimal = Decimal(1)
) -> dict[int, ItemPrice]:
    """The price `practice` is charged for each item on day `on`, buying `quantity` of it in the item's UOM.

    The price is the one reconciliation charges (contracts.pricing.price_item, DESIGN §4.4-4.6): P's tier rows
    else the tier-blank rows, min_qty against the quantity, and, when P is not in the contract that day, the price
    on joining. Two queries for any number of items (their contracts loaded with them).
    """
    catalog = catalog_slice_for_items(items=items, practice_ids=[practice.id] if practice else [])
    practice_id = practice.id if practice is not None else None
    return {
        item.id: _item_price(catalog, practice_id=practice_id, item_id=item.id, quantity=quantity, on=on)
        for item in items
    }


def _item_price(
    catalog: pricing.CatalogSlice, *, practice_id: int | None, item_id: int, quantity: Decimal, on: date
) -> ItemPrice:
    answer = pricing.price_item(catalog, practice_id=practice_id, item_id=item_id, quantity=quantity, on=on)
    breaks: list[VolumeBreak] = []
    last = answer.contract_price
    # The quantities from which the price may drop: each min_qty above this quantity, priced the same way.
    minimums = sorted({r.min_qty for r in catalog.prices_by_item.get(item_id, ()) if r.min_qty is not None})
    for minimum in (m for m in minimums if m > abs(quantity)):
        at = pricing.price_item(catalog, practice_id=practice_id, item_id=item_id, quantity=minimum, on=on)
        if at.contract_price is not None and (last is None or at.contract_price < last):
            breaks.append(VolumeBreak(min_qty=minimum, price=at.contract_price))
            last = at.contract_price
    row = answer.price_row
    return ItemPrice(
        item_id=item_id,
        price=answer.contract_price,
        tier=row.tier if row is not None else "",
        effective_from=row.effective_from if row is not None else None,
        effective_to=row.effective_to if row is not None else None,
        min_qty=row.min_qty if row is not None else None,
        volume_breaks=tuple(breaks),
        on_joining=answer.rule is pricing.Rule.NOT_PARTICIPATING,
    )


# --- pages ---

# The highest code point: a prefix range [p, p + MAX_CHAR) is what an index can answer (LIKE 'p%' in SQLite is
# case-insensitive and skips the index).
_MAX_CHAR = "\U0010ffff"


def in_force_q(on: date, prefix: str = "") -> Q:
    """Contracts in force on a day: not a draft and start <= day <= end (DESIGN §4)."""
    return Q(**{f"{prefix}start_date__lte": on, f"{prefix}end_date__gte": on}) & ~Q(
        **{f"{prefix}status": Contract.Status.DRAFT}
    )


def effective_q(on: date, prefix: str = "") -> Q:
    """Price rows effective on a day (both ends inclusive, open-ended when effective_to is blank)."""
    return Q(**{f"{prefix}effective_from__lte": on}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gte": on})
    )


def catalog_contracts(*, user: Any) -> QuerySet[Contract]:
    """Contracts the user may browse: every member sees every non-draft contract; staff see drafts too."""
    contracts = Contract.objects.select_related("vendor")
    if not is_coalition_staff(user):
        contracts = contracts.exclude(status=Contract.Status.DRAFT)
    return contracts


def prefix_q(field_name: str, prefix: str) -> Q:
    """`field` starts with `prefix`, written as a range so a b-tree index answers it on SQLite and PostgreSQL."""
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + _MAX_CHAR})


def _draft_contract_ids() -> QuerySet[Contract, Any]:
    return Contract.objects.filter(status=Contract.Status.DRAFT).values("id")


def catalog_item_search(*, user: Any, query: str = "", category_ids: list[int] | None = None) -> QuerySet[ContractItem]:
    """Items on browsable contracts matching the query by description, manufacturer, vendor SKU or part number.

    SKUs and manufacturer part numbers match by normalised prefix ("00123-45" finds "12345A"), served by their
    indexes; descriptions match anywhere in the text. Conditions use small contract subqueries instead of joins, and
    the order (contract, SKU) follows the unique index, so the first page stops early instead of sorting every hit.
    """
    items = ContractItem.objects.select_related("contract__vendor", "category")
    if not is_coalition_staff(user):
        items = items.exclude(contract_id__in=_draft_contract_ids())
    query = query.strip()
    if query:
        condition = Q(description__icontains=query) | Q(manufacturer__icontains=query)
        normalized = normalize_sku(query)
        if normalized:
            condition |= prefix_q("vendor_sku_normalized", normalized) | prefix_q("mfr_part_normalized", normalized)
        items = items.filter(condition)
    if category_ids is not None:
        vendor_contracts = Contract.objects.filter(vendor__category_id__in=category_ids).values("id")
        items = items.filter(
            Q(category_id__in=category_ids) | Q(category__isnull=True, contract_id__in=vendor_contracts)
        )
    return items.order_by("contract_id", "vendor_sku_normalized")


def catalog_contract_search(*, user: Any, query: str) -> QuerySet[Contract]:
    """Browsable contracts whose title or number contains the query."""
    query = query.strip()
    return catalog_contracts(user=user).filter(Q(title__icontains=query) | Q(number__icontains=query))


def catalog_vendor_list(
    *, user: Any, query: str = "", category_ids: list[int] | None = None, vendor_q: Q | None = None
) -> QuerySet[Vendor]:
    """Vendors for the catalog cards: matching by name, alias or contract title (`vendor_q`), or by an item.

    The vendors of matching items are collected once (one scan of the items), so counting and paging the cards
    stays cheap.
    """
    vendors = Vendor.objects.select_related("category")
    if query.strip() or category_ids is not None:
        items = catalog_item_search(user=user, query=query, category_ids=category_ids)
        vendor_ids = set(items.order_by().values_list("contract__vendor_id", flat=True).distinct())
        condition = Q(id__in=vendor_ids)
        if query.strip() and vendor_q is not None:
            matching = Vendor.objects.filter(vendor_q)
            if category_ids is not None:
                matching = matching.filter(category_id__in=category_ids)
            condition |= Q(id__in=set(matching.values_list("id", flat=True)))
        elif category_ids is not None:
            condition |= Q(category_id__in=category_ids)
        vendors = vendors.filter(condition)
    return vendors.order_by("name")


@dataclass
class VendorHighlights:
    """Deal highlights of a vendor card."""

    contracts_in_force: int = 0
    best_discount_pct: Decimal | None = None
    categories: list[str] = field(default_factory=list)


def vendor_highlights(*, vendors: list[Vendor], on: date) -> dict[int, VendorHighlights]:
    """For each vendor: contracts in force on the day, the best discount off list any member gets, categories.

    The same for every viewer: cached under the catalog's version (gpo.cache), which every catalog write replaces.
    """
    ids = [vendor.id for vendor in vendors]
    return cached_by_version(
        "vendor-highlights", vendor_selectors.catalog_version(), (ids, on), lambda: _vendor_highlights(vendors, on)
    )


def _vendor_highlights(vendors: list[Vendor], on: date) -> dict[int, VendorHighlights]:
    """vendor_highlights computed: three queries for the whole page of vendors, whatever its size."""
    ids = [vendor.id for vendor in vendors]
    highlights = {vendor.id: VendorHighlights() for vendor in vendors}
    in_force = Contract.objects.filter(in_force_q(on), vendor_id__in=ids)
    for row in in_force.values("vendor_id").annotate(count=Count("id"), best_pct=Min(-F("discount_pct"))):
        highlights[row["vendor_id"]].contracts_in_force = row["count"]
        if row["best_pct"] is not None:
            highlights[row["vendor_id"]].best_discount_pct = Decimal(str(-row["best_pct"]))
    ratios = (
        ContractPrice.objects.filter(
            effective_q(on),
            in_force_q(on, "item__contract__"),
            item__contract__vendor_id__in=ids,
            item__list_price__isnull=False,
        )
        .values("item__contract__vendor_id")
        # Floats here: SQLite divides two whole-number decimals as integers.
        .annotate(lowest=Min(Cast("price", FloatField()) / Cast("item__list_price", FloatField())))
    )
    for row in ratios:
        if row["lowest"] is None:
            continue
        discount = (Decimal(1) - Decimal(str(row["lowest"]))) * 100
        best = highlights[row["item__contract__vendor_id"]]
        if best.best_discount_pct is None or discount > best.best_discount_pct:
            best.best_discount_pct = discount.quantize(Decimal("0.1"))
    for vendor in vendors:
        if vendor.category is not None:
            highlights[vendor.id].categories.append(vendor.category.name)
    contract_vendor = dict(Contract.objects.filter(vendor_id__in=ids).values_list("id", "vendor_id"))
    pairs = set(
        ContractItem.objects.filter(contract_id__in=list(contract_vendor), category__isnull=False)
        .order_by()
        .values_list("contract_id", "category_id")
        .distinct()
    )
    names = dict(Category.objects.filter(id__in={category_id for _, category_id in pairs}).values_list("id", "name"))
    for vendor_id, name in sorted({(contract_vendor[c], names[k]) for c, k in pairs}, key=lambda pair: pair[1]):
        if name not in highlights[vendor_id].categories:
            highlights[vendor_id].categories.append(name)
    return highlights


def contract_get_for_page(*, user: Any, pk: int) -> Contract:
    """A browsable contract with its vendor; drafts answer 404 to members."""
    contract = catalog_contracts(user=user).filter(pk=pk).first()
    if contract is None:
        raise Http404("No such contract.")
    return contract


def participation_get(*, practice: Practice | None, contract: Contract) -> Participation | None:
    """The practice's letter of participation in the contract, if it signed one."""
    if practice is None:
        return None
    return Participation.objects.filter(practice=practice, contract=contract).first()


@dataclass
class ItemPriceView:
    """What one item costs the viewer's practice today, and the rows behind it."""

    item: ContractItem
    price: Decimal | None = None
    basis: str = ""
    discount_pct: Decimal | None = None
    volume_breaks: list[VolumeBreak] = field(default_factory=list)
    history: list[ContractPrice] = field(default_factory=list)
    tier_prices: list[tuple[str, Decimal]] = field(default_factory=list)


def _base_and_breaks(rows: list[ContractPrice]) -> tuple[Decimal | None, list[VolumeBreak]]:
    base = min((row.price for row in rows if row.min_qty is None), default=None)
    breaks = sorted(
        (VolumeBreak(row.min_qty, row.price) for row in rows if row.min_qty is not None),
        key=lambda b: b.min_qty,
    )
    return base, breaks


def _price_basis(priced: ItemPrice) -> str:
    """Why this price: the practice's own tier, every tier's, or the price on joining (not in the contract today)."""
    if priced.on_joining:
        return "on joining"
    return f"your tier ({priced.tier})" if priced.tier else "every tier"


def _discount(price: Decimal | None, list_price: Decimal | None) -> Decimal | None:
    if price is None or not list_price:
        return None
    return ((list_price - price) / list_price * 100).quantize(Decimal("0.1"))


def contract_item_prices_for_page(
    *,
    items: list[ContractItem],
    contract: Contract,
    practice: Practice | None,
    participation: Participation | None,
    on: date,
    all_tiers: bool,
) -> list[ItemPriceView]:
    """The price each item of one contract costs the viewer's practice on a day, with the rows behind it.

    The price itself is the one reconciliation charges (`item_prices_for_practice`): the practice's own price when
    it is in the contract that day, else the price on joining (DESIGN §4.6). Staff viewing no practice
    (`all_tiers`) see every tier. History lists only rows of the tiers the viewer may see.
    """
    rows_by_item: dict[int, list[ContractPrice]] = defaultdict(list)
    for row in ContractPrice.objects.filter(item__in=items).order_by("-effective_from", "tier", "min_qty"):
        rows_by_item[row.item_id].append(row)
    in_force = contract_in_force(contract, on)
    tier = participation.tier if participation is not None else ""
    practice_prices = {} if all_tiers else item_prices_for_practice(items=items, practice=practice, on=on)
    views = []
    for item in items:
        rows = rows_by_item.get(item.id, [])
        today = [row for row in rows if pricing.effective_on(row.effective_from, row.effective_to or date.max, on)]
        view = ItemPriceView(item=item)
        if all_tiers:
            view.history = rows
            for name in sorted({row.tier for row in today}):
                base, _ = _base_and_breaks([row for row in today if row.tier == name])
                if base is not None:
                    view.tier_prices.append((name or "All tiers", base))
            view.basis = "all tiers"
            if in_force:
                view.price, view.volume_breaks = _base_and_breaks([row for row in today if not row.tier])
        else:
            priced = practice_prices[item.id]
            shown_tiers = {"", tier}
            if priced.price is not None:
                view.price, view.volume_breaks = priced.price, list(priced.volume_breaks)
                view.basis = _price_basis(priced)
                shown_tiers.add(priced.tier)
            view.history = [row for row in rows if row.tier in shown_tiers]
        view.discount_pct = _discount(view.price, item.list_price)
        views.append(view)
    return views


@dataclass(frozen=True)
class RenewalMonth:
    """Contracts ending in one calendar month."""

    label: str
    contracts: list[Any]


@dataclass(frozen=True)
class Renewals:
    """Contracts to act on now, and the next 12 months of end dates."""

    due_now: list[Any]
    months: list[RenewalMonth]


def _months_ahead(today: date, months: int) -> date:
    month_index = today.month - 1 + months
    year, month = today.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def contract_renewals(*, today: date) -> Renewals:
    """Non-draft contracts whose end date is within their renewal notice from today, and those ending in 12 months."""
    horizon = _months_ahead(today, 12)
    contracts: list[Any] = list(
        Contract.objects.exclude(status=Contract.Status.DRAFT)
        .filter(end_date__gte=today)
        .select_related("vendor")
        .annotate(member_count=Count("participations"))
        .order_by("end_date", "number")
    )
    due_now = [c for c in contracts if c.end_date - timedelta(days=c.renewal_notice_days) <= today]
    by_month: dict[str, list[Any]] = defaultdict(list)
    for contract in contracts:
        if contract.end_date <= horizon:
            by_month[contract.end_date.strftime("%B %Y")].append(contract)
    return Renewals(due_now=due_now, months=[RenewalMonth(label, group) for label, group in by_month.items()])


# --- pricing slice ---


def catalog_slice_for_items(
    *, items: Iterable[ContractItem], practice_ids: Iterable[int] | None = None
) -> CatalogSlice:
    """The pricing engine's catalog of these items (their contracts loaded with them): their price rows and the
    participations in their contracts of these practices (None: of every practice). Two queries."""
    items = list(items)
    contracts = {item.contract_id: item.contract for item in items}
    participations = Participation.objects.filter(contract_id__in=list(contracts))
    if practice_ids is not None:
        participations = participations.filter(practice_id__in=list(practice_ids))
    prices = ContractPrice.objects.filter(item_id__in=[item.id for item in items])
    return CatalogSlice(
        contracts=tuple(
            ContractTerms(
                id=contract.id,
                vendor_id=contract.vendor_id,
                number=contract.number,
                start_date=contract.start_date,
                end_date=contract.end_date,
                is_draft=contract.status == Contract.Status.DRAFT,
                discount_pct=contract.discount_pct,
            )
            for contract in contracts.values()
        ),
        items=tuple(
            ItemTerms(
                id=item.id,
                contract_id=item.contract_id,
                vendor_sku_normalized=item.vendor_sku_normalized,
                mfr_part_normalized=item.mfr_part_normalized,
                uom=fold_uom(item.uom),
                units_per_uom=item.units_per_uom,
                list_price=item.list_price,
                category_id=item.category_id,
            )
            for item in items
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


class _DaysSince1970(Func):
    """A date column as days since 1970-01-01 (an integer), worked out by the database."""

    template = "(%(expressions)s - DATE '1970-01-01')"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _ten_thousandths(name: str) -> Cast:
    """A 4-place decimal column as an integer in ten-thousandths (exact: the column has 4 places)."""
    return Cast(Round(ExpressionWrapper(F(name) * Value(10_000), output_field=DecimalField())), BigIntegerField())


def _frame(queryset: QuerySet[Any], columns: Sequence[str]) -> pd.DataFrame:
    """The queryset's rows as columns: one query, read with the database cursor (no model or row objects)."""
    sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=list(columns), nrows=len(rows))


def catalog_frames_load() -> dict[str, pd.DataFrame]:
    """The whole catalog as columns for the bulk reconciliation (reports.reconcile_bulk.CatalogIndex.from_frames).

    Four queries. Dates are days since 1970-01-01, prices, quantities and discounts integers in ten-thousandths,
    UOMs folded; a missing value (open end, list price, min_qty, category, discount) is null.
    """
    contracts = _frame(
        Contract.objects.annotate(
            start_day=_DaysSince1970("start_date"),
            end_day=_DaysSince1970("end_date"),
            discount_pct_e4=_ten_thousandths("discount_pct"),
        ),
        ("id", "vendor_id", "number", "start_day", "end_day", "status", "discount_pct_e4"),
    )
    items = _frame(ContractItem.objects.annotate(list_price_e4=_ten_thousandths("list_price")), ITEM_COLUMNS)
    prices = _frame(
        ContractPrice.objects.annotate(
            price_e4=_ten_thousandths("price"),
            from_day=_DaysSince1970("effective_from"),
            to_day=_DaysSince1970("effective_to"),
            min_qty_e4=_ten_thousandths("min_qty"),
        ),
        PRICE_COLUMNS,
    )
    participations = _frame(
        Participation.objects.annotate(joined_day=_DaysSince1970("joined_on")), PARTICIPATION_COLUMNS
    )
    contracts["is_draft"] = (contracts.pop("status") == Contract.Status.DRAFT).to_numpy(dtype=bool)
    # DESIGN §4.3: items are compared in folded UOMs (as catalog_slice_load gives them).
    items["uom"] = items["uom"].map({uom: fold_uom(uom) for uom in items["uom"].unique()})
    contracts = contracts[list(CONTRACT_COLUMNS)]
    return {"contracts": contracts, "items": items, "prices": prices, "participations": participations}
