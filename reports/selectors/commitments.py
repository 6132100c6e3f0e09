"""Commitments at risk: every contract with a committed volume or spend, projected to the end of its period."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from contracts.models import Basis, Contract, ContractItem
from contracts.selectors import catalog_slice_for_items
from gpo.members.rights import Right, right_require
from gpo.money import ZERO, money_str
from reports.commitments import CommitmentStatus, commitment_project, months_count
from reports.models import PurchaseLine
from reports.periods import add_months
from reports.selectors.savings import ON_CONTRACT_STATUSES
from reports.selectors.tiers import contract_line_rows, line_measure, measure_str

Status = PurchaseLine.Status
# A year earlier, what the members bought from the vendor counts whatever the line's status (the contract may not
# have existed yet), except lines no price could be read for.
HISTORY_STATUSES = (Status.ON_CONTRACT, Status.OVERCHARGED, Status.NOT_PARTICIPATING, Status.OFF_CONTRACT)
STATUS_ORDER = [
    CommitmentStatus.AT_RISK,
    CommitmentStatus.MISSED,
    CommitmentStatus.ON_TRACK,
    CommitmentStatus.NOT_STARTED,
    CommitmentStatus.MET,
]


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def commitment_get(contract: Contract, *, as_of: datetime.date) -> dict[str, Any]:
    """One contract's commitment: run rate to date, projection, shortfall and the warning (pure reads)."""
    start, end, committed = contract.commitment_start, contract.commitment_end, contract.commitment_amount
    if start is None or end is None or committed is None:  # the contract_commitment_complete constraint forbids it
        raise ValueError(f"Contract {contract.number} has no complete commitment.")
    basis = contract.commitment_basis
    # Counted to the end of the last whole month before as_of: a month is counted once it is over.
    to_date = min(end, as_of.replace(day=1) - datetime.timedelta(days=1))
    catalog = catalog_slice_for_items(items=ContractItem.objects.filter(contract=contract).select_related("contract"))
    rows = (
        [
            r
            for r in contract_line_rows(contract, (start, to_date), ON_CONTRACT_STATUSES)
            if r["contract_id"] == contract.id
        ]
        if to_date >= start
        else []
    )
    actual = sum((line_measure(basis, catalog, r) for r in rows), ZERO)
    elapsed = months_count(_month_index(start), _month_index(to_date)) if to_date >= start else 0
    total = months_count(_month_index(start), _month_index(end))
    last_year_remaining = None
    if to_date < end:
        history = contract_line_rows(
            contract,
            (add_months(max(to_date + datetime.timedelta(days=1), start), -12), add_months(end, -12)),
            HISTORY_STATUSES,
        )
        history = [r for r in history if r["contract_id"] in (None, contract.id)]
        if history:
            last_year_remaining = sum((line_measure(basis, catalog, r) for r in history), ZERO)
    places = ZERO if basis == Basis.SPEND else ZERO.scaleb(-2)
    projected = commitment_project(
        committed=committed,
        actual=actual,
        months_elapsed=elapsed,
        months_total=total,
        last_year_remaining=last_year_remaining,
        places=places,
    )

    def show(value: Any) -> str | None:
        return measure_str(basis, value) if value is not None else None

    return {
        "contract": contract.number,
        "title": contract.title,
        "vendor": contract.vendor.slug,
        "basis": basis,
        "committed": show(committed),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "counted_to": to_date.isoformat() if to_date >= start else None,
        "to_date": show(actual),
        "months_elapsed": elapsed,
        "months_total": total,
        "months_left": projected.months_left,
        "run_rate": show(projected.run_rate),
        "method": projected.method,
        "projection": show(projected.projection),
        "shortfall": show(projected.shortfall),
        "needed_run_rate": show(projected.needed_run_rate),
        "status": projected.status,
        "penalty": money_str(contract.commitment_penalty) if contract.commitment_penalty is not None else None,
        "drop_tier": contract.commitment_drop_tier or None,
        "warning": _warning(contract, projected),
        "lines": "/api/lines/?"
        + urlencode({"contract": contract.number, "start": start.isoformat(), "end": to_date.isoformat()}),
    }


def _warning(contract: Contract, projected: Any) -> str:
    """A plain sentence for an at-risk or missed commitment (empty otherwise)."""
    if projected.status not in (CommitmentStatus.AT_RISK, CommitmentStatus.MISSED):
        return ""

    def show(value: Any) -> str:
        if contract.commitment_basis == Basis.SPEND:
            return f"${value:,.2f}"
        return f"{measure_str(Basis.VOLUME, value)} units"

    consequences = []
    if contract.commitment_penalty is not None:
        consequences.append(f"a penalty of ${contract.commitment_penalty:,.2f}")
    if contract.commitment_drop_tier:
        consequences.append(f"prices falling to tier {contract.commitment_drop_tier}")
    then = f", triggering {' and '.join(consequences)}" if consequences else ""
    if projected.status == CommitmentStatus.MISSED:
        return f"{contract.number} ended {show(projected.shortfall)} short of its commitment{then}."
    how = "same months last year" if projected.method == "same_months_last_year" else "the run rate to date"
    return (
        f"{contract.number} is on course to end {show(projected.shortfall)} short of its commitment "
        f"({how}) in {projected.months_left} month{'s' if projected.months_left != 1 else ''}{then}; "
        f"{show(projected.needed_run_rate)} a month would meet it."
    )


def commitment_list(*, user: Any, as_of: datetime.date) -> list[dict[str, Any]]:
    """Every contract with a commitment, at-risk ones first (coalition staff; 403 otherwise)."""
    right_require(user, None, Right.COALITION_FIGURES)
    contracts = Contract.objects.filter(commitment_amount__isnull=False).select_related("vendor").order_by("number")
    rows = [commitment_get(contract, as_of=as_of) for contract in contracts]
    return sorted(rows, key=lambda row: (STATUS_ORDER.index(row["status"]), row["contract"]))
