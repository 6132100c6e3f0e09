"""Reads behind the practice and coalition dashboards, scoped to the caller (DESIGN.md section 7 pages)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from contracts.models import Contract
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from gpo.money import cents
from reports.figures_cache import figures_cached, scope_version
from reports.models import PurchaseLine
from reports.selectors.savings import Figures, counted_lines, grouped_rows, lines_in_periods, lines_of_practices

Status = PurchaseLine.Status
MISSED_STATUSES = (Status.NOT_PARTICIPATING, Status.OFF_CONTRACT, Status.NON_GPO_VENDOR, Status.UOM_MISMATCH)


def _period(queryset: QuerySet[PurchaseLine], start: datetime.date | None, end: datetime.date | None) -> Any:
    return lines_in_periods(queryset, [(start, end)])


def _scoped_lines(*, user: Any, practice: Practice | None) -> QuerySet[PurchaseLine]:
    lines = scoping.scope_to_practices(counted_lines(), user=user)
    if practice is not None:
        return lines_of_practices(lines, [practice.id])
    ids = scoping.practice_ids_for(user)
    return lines if ids is None else lines_of_practices(lines, ids)


def _largest_lines(
    *,
    kind: str,
    user: Any,
    practice: Practice | None,
    start: datetime.date | None,
    end: datetime.date | None,
    limit: int,
    condition: Q,
    amount: str,
) -> list[PurchaseLine]:
    """The `limit` lines meeting `condition` with the largest `amount`, in the caller's scope and the period.

    Finding them reads every line of the period; which ones they are is cached under the scope's figures versions
    (reports.figures_cache), and the lines themselves are then read by id.
    """
    visible = scoping.practice_ids_for(user) if practice is None else {practice.id}
    scope_ids = None if visible is None else sorted(visible)

    def line_ids() -> list[int]:
        lines = _period(_scoped_lines(user=user, practice=practice), start, end).filter(condition)
        return list(lines.order_by(f"-{amount}", "purchase_date", "id").values_list("id", flat=True)[:limit])

    ids = figures_cached(kind, scope_version(scope_ids), (scope_ids, start, end, limit), line_ids)
    found = PurchaseLine.objects.filter(id__in=ids).select_related("vendor", "contract", "upload", "practice")
    by_id = {line.id: line for line in found}
    return [by_id[line_id] for line_id in ids if line_id in by_id]


def overcharge_claims_list(
    *, user: Any, practice: Practice | None, start: datetime.date | None, end: datetime.date | None, limit: int = 50
) -> list[PurchaseLine]:
    """Overcharged lines, largest claim first, with invoice numbers: the dispute list finance sends to vendors."""
    condition = Q(status=Status.OVERCHARGED, overcharge__gt=0)
    return _largest_lines(
        kind="claims",
        user=user,
        practice=practice,
        start=start,
        end=end,
        limit=limit,
        condition=condition,
        amount="overcharge",
    )


def missed_savings_list(
    *, user: Any, practice: Practice | None, start: datetime.date | None, end: datetime.date | None, limit: int = 50
) -> list[PurchaseLine]:
    """Off-contract buys that had a contract equivalent, largest missed saving first (DESIGN §4.7)."""
    condition = Q(status__in=MISSED_STATUSES, missed_savings__gt=0)
    return _largest_lines(
        kind="missed",
        user=user,
        practice=practice,
        start=start,
        end=end,
        limit=limit,
        condition=condition,
        amount="missed_savings",
    )


@dataclass
class PracticeRow:
    """A member practice's figures on the coalition dashboard."""

    practice: Practice
    figures: Figures


@dataclass
class ContractRow:
    """A contract's performance: spend on it, savings, missed savings of non-participants, admin fee revenue."""

    contract: Contract
    figures: Figures
    missed_by_non_participants: Decimal
    admin_fee: Decimal


@dataclass
class LeakageRow:
    """Spend with vendors that have no coalition contract (non-GPO), by vendor name."""

    vendor_name: str
    vendor_slug: str | None
    figures: Figures


def _require_staff(user: Any) -> None:
    """Coalition-wide figures need the figures right in every practice (coalition staff, DESIGN §3): else 403."""
    right_require(user, None, Right.FIGURES)


def practice_performance_list(
    *, user: Any, start: datetime.date | None, end: datetime.date | None
) -> list[PracticeRow]:
    """Every member practice's figures over the period, largest spend first (coalition staff only)."""
    _require_staff(user)
    figures: dict[int, Figures] = {}
    for row in grouped_rows(practice_ids=None, start=start, end=end, dimensions=["practice"]):
        figures.setdefault(row["practice_id"], Figures()).add(row)
    practices = scoping.practices_visible(user).order_by("name")
    rows = [PracticeRow(p, figures.get(p.id, Figures())) for p in practices]
    return sorted(rows, key=lambda r: (-r.figures.spend, r.practice.name))


def contract_performance_list(
    *, user: Any, start: datetime.date | None, end: datetime.date | None
) -> list[ContractRow]:
    """Per contract: on-contract spend, savings, overcharge, admin fee = on-contract spend x admin_fee_pct / 100."""
    _require_staff(user)
    on_contract: dict[int, Figures] = {}
    missed: dict[int, Decimal] = {}
    for row in grouped_rows(practice_ids=None, start=start, end=end, dimensions=["contract"]):
        if row["contract_id"] is None:
            continue
        if row["status"] in {Status.ON_CONTRACT, Status.OVERCHARGED}:
            on_contract.setdefault(row["contract_id"], Figures()).add(row)
        elif row["status"] == Status.NOT_PARTICIPATING:
            missed[row["contract_id"]] = missed.get(row["contract_id"], Decimal("0.00")) + (row["missed_savings"] or 0)
    ids = set(on_contract) | set(missed)
    contracts = Contract.objects.filter(id__in=ids).select_related("vendor")
    rows = [
        ContractRow(
            contract=c,
            figures=on_contract.get(c.id, Figures()),
            missed_by_non_participants=missed.get(c.id, Decimal("0.00")),
            admin_fee=cents(on_contract.get(c.id, Figures()).on_contract_spend * c.admin_fee_pct / 100),
        )
        for c in contracts
    ]
    return sorted(rows, key=lambda r: (-r.figures.on_contract_spend, r.contract.number))


def leakage_list(*, user: Any, start: datetime.date | None, end: datetime.date | None) -> list[LeakageRow]:
    """Non-GPO spend by vendor name (unresolved names as given), largest first (coalition staff only)."""
    _require_staff(user)
    from vendors.models import Vendor

    groups: dict[tuple[int | None, str], Figures] = {}
    for row in grouped_rows(practice_ids=None, start=start, end=end, dimensions=["vendor", "unresolved_vendor_name"]):
        if row["status"] != Status.NON_GPO_VENDOR:
            continue
        groups.setdefault((row["vendor_id"], row["unresolved_vendor_name"] or ""), Figures()).add(row)
    vendors = {v.id: v for v in Vendor.objects.filter(id__in={k[0] for k in groups if k[0] is not None})}
    rows = [
        LeakageRow(
            vendor_name=vendors[vendor_id].name if vendor_id is not None else name,
            vendor_slug=vendors[vendor_id].slug if vendor_id is not None else None,
            figures=figures,
        )
        for (vendor_id, name), figures in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r.figures.spend, r.vendor_name.lower()))
