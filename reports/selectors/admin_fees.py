"""The admin-fee audit: vendors' reported sales and fees against the members' uploaded on-contract spend."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet

from contracts.models import Contract
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from gpo.money import ZERO, cents, money_str
from reports.admin_fees import quarter_label
from reports.models import AdminFeeReport, AdminFeeReportLine
from reports.periods import add_months
from reports.selectors.savings import ON_CONTRACT_STATUSES, cents_sum, counted_lines, from_cents, lines_in_periods

HUNDRED = Decimal(100)


def admin_fee_report_list(*, user: Any) -> QuerySet[AdminFeeReport]:
    """Every imported report, newest first (coalition staff)."""
    right_require(user, None, Right.COALITION_FIGURES)
    return AdminFeeReport.objects.select_related("vendor", "uploaded_by").order_by("-created_at", "-id")


def quarter_end(first_day: datetime.date) -> datetime.date:
    """The last day of the quarter that begins on `first_day`."""
    return add_months(first_day, 3) - datetime.timedelta(days=1)


def tolerance(spend: Decimal) -> Decimal:
    """How far reported sales may fall below uploaded spend before they are flagged (named settings)."""
    return max(settings.ADMIN_FEE_TOLERANCE_ABSOLUTE, cents(abs(spend) * settings.ADMIN_FEE_TOLERANCE_RELATIVE))


@dataclass
class _Reported:
    member: str = ""
    sales: Decimal = ZERO
    fee_reported: Decimal | None = None
    fee_paid: Decimal | None = None
    rows: list[int] = field(default_factory=list)


def _add(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    return value if total is None else total + (value or ZERO)


def _reported_lines(
    vendor: str | None, quarter: datetime.date | None, contract: str | None
) -> list[AdminFeeReportLine]:
    """Report rows in scope, each vendor's latest report for a quarter replacing its earlier ones."""
    lines = AdminFeeReportLine.objects.select_related("contract", "practice", "report")
    if vendor:
        lines = lines.filter(report__vendor__slug=vendor)
    if quarter:
        lines = lines.filter(quarter=quarter)
    if contract:
        lines = lines.filter(contract__number=contract)
    found = list(lines.order_by("report_id", "row_number"))
    latest: dict[tuple[int, datetime.date], int] = {}
    for line in found:
        key = (line.report.vendor_id, line.quarter)
        latest[key] = max(latest.get(key, 0), line.report_id)
    return [line for line in found if latest[(line.report.vendor_id, line.quarter)] == line.report_id]


def _uploaded_spend(
    contract_ids: list[int], quarters: set[datetime.date]
) -> dict[tuple[int, int, datetime.date], Decimal]:
    """Members' on-contract spend (DESIGN §4.8) per contract, practice and quarter, as the savings figures sum it."""
    spend: dict[tuple[int, int, datetime.date], Decimal] = {}
    for first in sorted(quarters):
        lines = lines_in_periods(counted_lines(), [(first, quarter_end(first))]).filter(
            contract_id__in=contract_ids, status__in=sorted(ON_CONTRACT_STATUSES)
        )
        for row in lines.order_by().values("contract_id", "practice_id").annotate(cents=cents_sum("spend")):
            spend[(row["contract_id"], row["practice_id"], first)] = from_cents(row["cents"])
    return spend


def admin_fee_audit(
    *,
    user: Any,
    vendor: str | None = None,
    quarter: datetime.date | None = None,
    contract: str | None = None,
    flagged: bool = False,
) -> list[dict[str, Any]]:
    """Per vendor, contract, member and quarter: sales reported against on-contract spend uploaded, fee due against
    fee reported and fee paid, flagged when under-reported beyond the tolerance, with the lines behind the spend.

    Members with uploaded spend that the vendor left out of its report for that quarter count as reporting 0.
    """
    right_require(user, None, Right.COALITION_FIGURES)
    reported_lines = _reported_lines(vendor, quarter, contract)
    reported: dict[tuple[int, int | None, str, datetime.date], _Reported] = defaultdict(_Reported)
    vendor_quarters: dict[int, set[datetime.date]] = defaultdict(set)
    for line in reported_lines:
        member_key = "" if line.practice_id else (line.member_id or line.member_name)
        entry = reported[(line.contract_id, line.practice_id, member_key, line.quarter)]
        entry.member = line.member_name or line.member_id
        entry.sales += line.sales
        entry.fee_reported = _add(entry.fee_reported, line.fee_reported)
        entry.fee_paid = _add(entry.fee_paid, line.fee_paid)
        entry.rows.append(line.row_number)
        vendor_quarters[line.contract.vendor_id].add(line.quarter)
    contracts = Contract.objects.filter(vendor_id__in=list(vendor_quarters)).select_related("vendor")
    if contract:
        contracts = contracts.filter(number=contract)
    by_id = {c.id: c for c in contracts}
    quarters = {q for qs in vendor_quarters.values() for q in qs}
    uploaded = _uploaded_spend(list(by_id), quarters)
    keys = set(reported)
    for contract_id, practice_id, first in uploaded:
        if first in vendor_quarters[by_id[contract_id].vendor_id]:
            keys.add((contract_id, practice_id, "", first))
    practices = {p.id: p for p in Practice.objects.filter(pk__in={k[1] for k in keys if k[1]})}
    rows = [_audit_row(key, reported.get(key), uploaded, by_id, practices) for key in keys if key[0] in by_id]
    rows.sort(key=lambda r: (r["quarter"], r["vendor"], r["contract"], r["practice"] or "~", r["member"]))
    return [row for row in rows if row["flags"]] if flagged else rows


def _audit_row(
    key: tuple[int, int | None, str, datetime.date],
    entry: _Reported | None,
    uploaded: dict[tuple[int, int, datetime.date], Decimal],
    contracts: dict[int, Contract],
    practices: dict[int, Practice],
) -> dict[str, Any]:
    contract_id, practice_id, _, first = key
    contract = contracts[contract_id]
    practice = practices.get(practice_id) if practice_id else None
    spend = uploaded.get((contract_id, practice_id, first), ZERO) if practice_id else ZERO
    sales = entry.sales if entry else ZERO
    fee_due = cents(spend * contract.admin_fee_pct / HUNDRED)
    paid = entry.fee_paid if entry and entry.fee_paid is not None else ZERO
    flags = []
    if entry is None:
        flags.append("not_reported")
    if spend - sales > tolerance(spend):
        flags.append("under_reported")
    if fee_due - paid > cents(tolerance(spend) * contract.admin_fee_pct / HUNDRED):
        flags.append("fee_underpaid")
    if practice is None:
        flags.append("unknown_member")
    lines_query = {
        "contract": contract.number,
        "start": first.isoformat(),
        "end": quarter_end(first).isoformat(),
        **({"practice": practice.slug} if practice else {}),
    }
    return {
        "vendor": contract.vendor.slug,
        "contract": contract.number,
        "practice": practice.slug if practice else None,
        "member": (entry.member if entry else "") or (practice.name if practice else ""),
        "quarter": quarter_label(first),
        "sales_reported": money_str(sales),
        "on_contract_spend": money_str(spend),
        "sales_gap": money_str(spend - sales),
        "admin_fee_pct": format(contract.admin_fee_pct.normalize(), "f"),
        "fee_due": money_str(fee_due),
        "fee_reported": money_str(entry.fee_reported) if entry and entry.fee_reported is not None else None,
        "fee_paid": money_str(entry.fee_paid) if entry and entry.fee_paid is not None else None,
        "fee_gap": money_str(fee_due - paid),
        "flags": flags,
        "report_rows": entry.rows if entry else [],
        "lines": "/api/lines/?" + urlencode(lines_query),
    }


def admin_fee_revenue(*, start: datetime.date | None, end: datetime.date | None) -> dict[str, Decimal]:
    """Fees the vendors reported and paid for the quarters beginning within the period (latest report per quarter)."""
    totals = {"reported": ZERO, "paid": ZERO, "reports": Decimal(0)}
    for line in _reported_lines(None, None, None):
        if (start is None or line.quarter >= start) and (end is None or line.quarter <= end):
            totals["reported"] += line.fee_reported or ZERO
            totals["paid"] += line.fee_paid or ZERO
            totals["reports"] += 1
    return totals
