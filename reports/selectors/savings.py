"""Savings figures: exact sums of stored per-line cents (DESIGN.md §4 rules 7-9, §7 `GET /api/savings/`).

Two sources answer the same question: the `SavingsSummary` table for whole months and the line table for the
days of a partial month at either end of the period. Both leave out repeats (`repeat_of` set) and lines still
`pending` (not reconciled yet: they have no status to report), so figures from either source are identical.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth

from gpo.members import scoping
from gpo.members.models import Practice
from gpo.members.rights import Right, has_right, right_require
from gpo.money import ZERO, money_str
from reports.figures_cache import figures_cached, scope_version
from reports.lines import (  # noqa: F401  (re-exported: the selectors' building blocks)
    UNRESOLVED_VENDOR_NAME,
    cents_sum,
    counted_lines,
    from_cents,
    lines_in_periods,
    lines_of_practices,
)
from reports.models import PurchaseLine, SavingsSummary
from vendors.models import Category, Vendor

Status = PurchaseLine.Status
ON_CONTRACT_STATUSES = frozenset({Status.ON_CONTRACT.value, Status.OVERCHARGED.value})
STATUS_ORDER = [s.value for s in Status if s != Status.PENDING]
MONEY_KEYS = ("spend", "on_contract_spend", "savings", "overcharge", "missed_savings")

# Everything a grouping may name; the summary answers them one breakdown at a time (see summary_breakdown).
DIMENSIONS = ("practice", "month", "status", "vendor", "unresolved_vendor_name", "category", "contract")


# --- periods (pure) ---------------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    """The first day of the day's month."""
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after the day's month."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class PeriodPlan:
    """How a period [start, end] (both inclusive, None = open) splits into whole months and partial day ranges."""

    whole_from: datetime.date | None  # first month counted from the summary (None: open)
    whole_before: datetime.date | None  # months strictly before this one (None: open)
    has_whole: bool
    partial_ranges: tuple[tuple[datetime.date | None, datetime.date | None], ...]


def period_plan(start: datetime.date | None, end: datetime.date | None) -> PeriodPlan:
    """Split a period so whole months come from the summary table and the partial edges from the lines."""
    partial: list[tuple[datetime.date | None, datetime.date | None]] = []
    whole_from: datetime.date | None = None
    whole_before: datetime.date | None = None
    if start is not None:
        whole_from = start if start.day == 1 else next_month(start)
    if end is not None:
        whole_before = next_month(end) if next_month(end) - datetime.timedelta(days=1) == end else month_start(end)
    has_whole = whole_from is None or whole_before is None or whole_from < whole_before
    if not has_whole:
        # No whole month inside: the period is counted from the lines alone.
        return PeriodPlan(None, None, False, ((start, end),))
    if start is not None and whole_from is not None and start < whole_from:
        partial.append((start, whole_from - datetime.timedelta(days=1)))
    if end is not None and whole_before is not None and end >= whole_before:
        partial.append((whole_before, end))
    return PeriodPlan(whole_from, whole_before, True, tuple(partial))


# --- grouped rows from either source ----------------------------------------------------------------------------


@dataclass
class Figures:
    """Money of a group of lines (exact Decimal sums of stored cents)."""

    spend: Decimal = ZERO
    on_contract_spend: Decimal = ZERO
    compliance_base: Decimal = ZERO  # spend of every status but non_gpo_vendor (DESIGN §4.8)
    savings: Decimal = ZERO
    overcharge: Decimal = ZERO
    missed_savings: Decimal = ZERO
    lines: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """Fold one grouped row (keys of DIMENSIONS plus the sums) into these figures."""
        spend = row["spend"] or ZERO
        self.spend += spend
        if row["status"] in ON_CONTRACT_STATUSES:
            self.on_contract_spend += spend
        if row["status"] != Status.NON_GPO_VENDOR:
            self.compliance_base += spend
        self.savings += row["savings"] or ZERO
        self.overcharge += row["overcharge"] or ZERO
        self.missed_savings += row["missed_savings"] or ZERO
        self.lines += row["line_count"] or 0

    @property
    def compliance_rate(self) -> float | None:
        """On-contract spend over the spend of every line but non-GPO vendors; None when that is zero."""
        if self.compliance_base == 0:
            return None
        return float(self.on_contract_spend / self.compliance_base)

    def as_json(self) -> dict[str, Any]:
        """The money keys as API strings ("1234.50") plus the compliance rate."""
        return {
            "spend": money_str(self.spend),
            "on_contract_spend": money_str(self.on_contract_spend),
            "savings": money_str(self.savings),
            "overcharge": money_str(self.overcharge),
            "missed_savings": money_str(self.missed_savings),
            "compliance_rate": self.compliance_rate,
        }


MONEY_FIELDS = ("spend", "savings", "overcharge", "missed_savings")
_SUMS = {name: cents_sum(name) for name in MONEY_FIELDS}


def _money_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grouped rows with their cent sums turned back into Decimal amounts."""
    result = list(rows)
    for row in result:
        for name in MONEY_FIELDS:
            row[name] = from_cents(row[name])
    return result


def _line_rows(
    practice_ids: Sequence[int] | None,
    ranges: Iterable[tuple[datetime.date | None, datetime.date | None]],
    dimensions: Sequence[str],
) -> list[dict[str, Any]]:
    """Grouped sums straight from the line table for the given day ranges."""
    ranges = list(ranges)
    if not ranges:
        return []
    queryset = lines_in_periods(counted_lines(), ranges, practice_ids)
    annotations: dict[str, Any] = {}
    if "month" in dimensions:
        annotations["month"] = TruncMonth("purchase_date")
    if "unresolved_vendor_name" in dimensions:
        annotations["unresolved_vendor_name"] = UNRESOLVED_VENDOR_NAME
    columns = [f"{d}_id" if d in {"practice", "vendor", "category", "contract"} else d for d in dimensions]
    grouped = queryset.annotate(**annotations).values(*columns).annotate(**_SUMS, line_count=Count("id")).order_by()
    return _money_rows(grouped)


def summary_built(practice_ids: Sequence[int] | None) -> bool:
    """Whether every one of these practices (every practice when None) that has lines has summary rows.

    One query, two index probes per practice. A practice whose summary was dropped (a migration that changes its
    grain) or never built makes the figures read the lines until the next refresh rebuilds it.
    """
    practices = Practice.objects.all() if practice_ids is None else Practice.objects.filter(pk__in=practice_ids)
    unbuilt = practices.filter(Exists(PurchaseLine.objects.filter(upload__practice_id=OuterRef("pk")))).exclude(
        Exists(SavingsSummary.objects.filter(practice_id=OuterRef("pk")))
    )
    return not unbuilt.exists()


def summary_breakdown(dimensions: Sequence[str]) -> str:
    """The summary grain that answers a grouping: vendor and contract, else category (which also gives totals)."""
    wanted = set(dimensions)
    if wanted & {"vendor", "unresolved_vendor_name", "contract"}:
        grain, allowed = SavingsSummary.Breakdown.VENDOR, {"vendor", "unresolved_vendor_name", "contract"}
    else:
        grain, allowed = SavingsSummary.Breakdown.CATEGORY, {"category"}
    if wanted - allowed - {"practice", "month", "status"}:
        raise ValueError(f"No summary grain groups by {sorted(wanted)} at once.")
    return grain.value


def _summary_rows(
    practice_ids: Sequence[int] | None, plan: PeriodPlan, dimensions: Sequence[str]
) -> list[dict[str, Any]]:
    """Grouped sums from the summary table: month rows for the whole months, day rows for the partial ranges.

    One GROUP BY answers the whole period; its two kinds of rows never overlap (a day row's month is never one of
    the whole months), so each line is counted exactly once.
    """
    # Practice and breakdown are repeated inside every branch of the OR: SQLite then answers each branch from the
    # (practice, breakdown, day, month) index (PostgreSQL does so either way).
    base = Q(breakdown=summary_breakdown(dimensions))
    if practice_ids is not None:
        base &= Q(practice_id__in=practice_ids)
    condition = Q(pk__in=[])
    if plan.has_whole:
        whole = base & Q(day__isnull=True)
        if plan.whole_from is not None:
            whole &= Q(month__gte=plan.whole_from)
        if plan.whole_before is not None:
            whole &= Q(month__lt=plan.whole_before)
        condition |= whole
    for low, high in plan.partial_ranges:
        part = base & Q(day__isnull=False)
        if low is not None:
            part &= Q(day__gte=low)
        if high is not None:
            part &= Q(day__lte=high)
        condition |= part
    queryset = SavingsSummary.objects.filter(condition)
    columns = [f"{d}_id" if d in {"practice", "vendor", "category", "contract"} else d for d in dimensions]
    sums = {name: Sum(f"{name}_cents") for name in MONEY_FIELDS}
    return _money_rows(queryset.values(*columns).annotate(**sums, line_count=Sum("line_count")).order_by())


def grouped_rows(
    *,
    practice_ids: Sequence[int] | None,
    start: datetime.date | None,
    end: datetime.date | None,
    dimensions: Sequence[str],
    use_summary: bool = True,
    cached: bool = True,
) -> list[dict[str, Any]]:
    """Sums grouped by `dimensions` (always including status) over the period, from the summary where it can.

    Rows of the two sources are not merged here: callers fold them, and Decimal addition is exact either way.
    `use_summary=False` reads the line table only (the reference the summary path is tested against); so does a
    scope with a practice whose summary is not built. Summary reads are cached under the practices' figures
    versions (reports.figures_cache) unless `cached=False`.
    """
    dimensions = list(dict.fromkeys(["status", *dimensions]))

    def compute() -> list[dict[str, Any]]:
        if not use_summary or not summary_built(practice_ids):
            return _line_rows(practice_ids, [(start, end)], dimensions)
        return _summary_rows(practice_ids, period_plan(start, end), dimensions)

    if not (use_summary and cached):
        return compute()
    ids = None if practice_ids is None else sorted(set(practice_ids))
    return figures_cached("grouped", scope_version(ids), (ids, start, end, tuple(dimensions)), compute)


# --- the API figure ---------------------------------------------------------------------------------------------


@dataclass
class SavingsScope:
    """Which practices a savings figure covers: one practice, or every member (None)."""

    practice: Practice | None
    practice_ids: list[int] | None = field(default=None)


def savings_scope(*, user: Any, practice: str | None) -> SavingsScope:
    """Resolve the `practice` parameter for this user: 404 for another practice, 403 without the figures right
    (DESIGN §3), 400 when it must be given."""
    if practice:
        chosen = scoping.practice_get(user=user, slug=practice)
        right_require(user, chosen, Right.FIGURES)
        return SavingsScope(chosen, [chosen.id])
    if has_right(user, None, Right.FIGURES):
        return SavingsScope(None, None)
    visible = list(scoping.practices_visible(user)[:2])
    if not visible:
        raise ValidationError("You are not a member of any practice.")
    if len(visible) > 1:
        raise ValidationError("You belong to several practices: choose one with ?practice=<slug>.")
    right_require(user, visible[0], Right.FIGURES)
    return SavingsScope(visible[0], [visible[0].id])


def _name_maps(
    vendor_ids: Iterable[int | None], category_ids: Iterable[int | None]
) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]]:
    """Slugs and names of these vendors and categories (one query each, only when needed)."""
    wanted_vendors = {i for i in vendor_ids if i is not None}
    wanted_categories = {i for i in category_ids if i is not None}
    vendors: dict[int, tuple[str, str]] = {}
    categories: dict[int, tuple[str, str]] = {}
    if wanted_vendors:
        vendors = {v.id: (v.slug, v.name) for v in Vendor.objects.filter(id__in=wanted_vendors).only("slug", "name")}
    if wanted_categories:
        categories = {
            c.id: (c.slug, c.name) for c in Category.objects.filter(id__in=wanted_categories).only("slug", "name")
        }
    return vendors, categories


@dataclass
class FiguresById:
    """Totals and breakdowns keyed by ids (what the figures cache keeps): vendor (id or None, name as given for an
    unresolved vendor), category id or None, status, month "YYYY-MM"."""

    total: Figures
    by_status: dict[str, Figures]
    by_vendor: dict[tuple[int | None, str], Figures]
    by_category: dict[int | None, Figures]
    by_month: dict[str, Figures]


def _figures_by_id(
    *, practice_ids: Sequence[int] | None, start: datetime.date | None, end: datetime.date | None, use_summary: bool
) -> FiguresById:
    """The figures folded from grouped rows, keyed by ids."""
    # Safety net: practices whose summary was never built (no refresh after their lines arrived) read the lines.
    use_summary = use_summary and summary_built(practice_ids)

    # With the summary: one GROUP BY per breakdown on its own small grain (month rows and day rows). Without: one
    # GROUP BY of the lines at the full grain, folded into every breakdown below (each fold reads only its own keys).
    plan = period_plan(start, end)
    full_grain = ["status", "month", "vendor", "unresolved_vendor_name", "category"]
    line_rows = [] if use_summary else _line_rows(practice_ids, [(start, end)], full_grain)

    def rows_by(*dimensions: str) -> list[dict[str, Any]]:
        return _summary_rows(practice_ids, plan, ["status", *dimensions]) if use_summary else line_rows

    figures = FiguresById(Figures(), {}, {}, {}, {})
    for row in rows_by("vendor", "unresolved_vendor_name"):
        vendor_key = (row["vendor_id"], "" if row["vendor_id"] is not None else row["unresolved_vendor_name"])
        figures.by_vendor.setdefault(vendor_key, Figures()).add(row)
    for row in rows_by("category"):
        figures.by_category.setdefault(row["category_id"], Figures()).add(row)
    for row in rows_by("month"):
        # Month rows are grouped by status too: they give the totals and the status breakdown as well.
        figures.total.add(row)
        figures.by_status.setdefault(row["status"], Figures()).add(row)
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        figures.by_month.setdefault(f"{month:%Y-%m}", Figures()).add(row)
    return figures


def savings_figures(
    *,
    practice_ids: Sequence[int] | None,
    start: datetime.date | None,
    end: datetime.date | None,
    use_summary: bool = True,
    cached: bool = True,
) -> dict[str, Any]:
    """Totals and breakdowns as Figures (not yet formatted): keys total, by_status, by_vendor, by_category, by_month.

    Group keys: status; (vendor slug or None, vendor name); (category slug or None, category name or None); month
    as "YYYY-MM". Unresolved vendors are grouped by the vendor name as given, with a null slug. The figures come
    from the figures cache (reports.figures_cache) when `cached` and `use_summary`, under the versions of the
    practices' figures and of the catalog (which names them).
    """

    def compute() -> dict[str, Any]:
        by_id = _figures_by_id(practice_ids=practice_ids, start=start, end=end, use_summary=use_summary)
        return _figures_named(by_id)

    if not (use_summary and cached):
        return compute()
    ids = None if practice_ids is None else sorted(set(practice_ids))
    return figures_cached("savings", scope_version(ids, with_names=True), (ids, start, end), compute)


def _figures_named(by_id: FiguresById) -> dict[str, Any]:
    """The figures keyed by ids, keyed by names instead and in the order they are shown."""
    vendors, categories = _name_maps((key[0] for key in by_id.by_vendor), by_id.by_category)
    by_vendor = {
        (vendors[vendor_id] if vendor_id is not None else (None, name)): figures
        for (vendor_id, name), figures in by_id.by_vendor.items()
    }
    by_category = {
        (categories[category_id] if category_id is not None else (None, None)): figures
        for category_id, figures in by_id.by_category.items()
    }
    return {
        "total": by_id.total,
        "by_status": {s: by_id.by_status[s] for s in STATUS_ORDER if s in by_id.by_status},
        "by_vendor": dict(sorted(by_vendor.items(), key=lambda kv: (-kv[1].spend, kv[0][1].lower(), kv[0][0] or ""))),
        "by_category": dict(
            sorted(by_category.items(), key=lambda kv: (-kv[1].spend, kv[0][0] is None, (kv[0][1] or "").lower()))
        ),
        "by_month": dict(sorted(by_id.by_month.items())),
    }


def savings_json(
    *,
    scope: SavingsScope,
    start: datetime.date | None,
    end: datetime.date | None,
    use_summary: bool = True,
    cached: bool = True,
) -> dict[str, Any]:
    """The `GET /api/savings/` body for an already-resolved scope; cached like the figures it shows (issue 16:
    the hot read of a practice's year costs a version query and a cache read)."""

    def compute() -> dict[str, Any]:
        figures = savings_figures(
            practice_ids=scope.practice_ids, start=start, end=end, use_summary=use_summary, cached=cached
        )
        return _savings_body(scope, start, end, figures)

    if not (use_summary and cached):
        return compute()
    ids = None if scope.practice_ids is None else sorted(set(scope.practice_ids))
    practice = scope.practice.slug if scope.practice else None
    return figures_cached("savings-json", scope_version(ids, with_names=True), (ids, practice, start, end), compute)


def _savings_body(
    scope: SavingsScope, start: datetime.date | None, end: datetime.date | None, figures: dict[str, Any]
) -> dict[str, Any]:
    """The `GET /api/savings/` body from `savings_figures()` output."""
    total: Figures = figures["total"]
    return {
        "practice": scope.practice.slug if scope.practice else None,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        **total.as_json(),
        "by_status": [{"status": s, **f.as_json()} for s, f in figures["by_status"].items()],
        "by_vendor": [
            {"vendor": slug, "vendor_name": name, **f.as_json()} for (slug, name), f in figures["by_vendor"].items()
        ],
        "by_category": [
            {"category": slug, "category_name": name, **f.as_json()}
            for (slug, name), f in figures["by_category"].items()
        ],
        "by_month": [{"month": m, **f.as_json()} for m, f in figures["by_month"].items()],
    }


def savings_get(
    *,
    user: Any,
    practice: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict[str, Any]:
    """Savings of one practice (or every member, for coalition staff) over [start, end], as DESIGN.md §7 shapes it."""
    if start is not None and end is not None and start > end:
        raise ValidationError({"end": ["The end date is before the start date."]})
    scope = savings_scope(user=user, practice=practice)
    return savings_json(scope=scope, start=start, end=end)


# --- the lines behind the figures -------------------------------------------------------------------------------

LINE_EXPORT_FIELDS = (
    "practice__slug",
    "upload__original_filename",
    "row_number",
    "purchase_date",
    "vendor_name",
    "vendor__name",
    "sku",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "extended_amount",
    "invoice_number",
    "po_number",
    "status",
    "overcharge_cause",
    "contract__number",
    "category__name",
    "expected_unit_price",
    "list_price",
    "spend",
    "savings",
    "overcharge",
    "missed_savings",
)


def savings_lines(
    *, practice_ids: Sequence[int] | None, start: datetime.date | None, end: datetime.date | None
) -> QuerySet[PurchaseLine, tuple[Any, ...]]:
    """The counted lines of the period as tuples of LINE_EXPORT_FIELDS: exactly the lines the figures sum."""
    queryset = lines_in_periods(counted_lines(), [(start, end)], practice_ids)
    return queryset.order_by("purchase_date", "upload_id", "row_number", "id").values_list(*LINE_EXPORT_FIELDS)
