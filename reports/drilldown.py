"""Drill-down links (pure): every figure on a dashboard names the lines explorer filter whose lines sum to it.

A figure is one money key (DESIGN §7's spend, on_contract_spend, savings, overcharge, missed_savings, or the
compliance rate computed from them) of one group of lines. The link carries the period as explicit dates, the
practice, and the group's filter as `GET /api/lines/` reads them, so the explorer, the API and the figure agree to
the cent (tests/reports/views/test_drilldown.py follows every link).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from reports.periods import Period

LINES_URL = "/lines/"
ON_CONTRACT = ("on_contract", "overcharged")
# The lines whose missed savings are not overcharges: bought off contract, outside the GPO, or not joined.
MISSED_NOT_OVERCHARGE = ("not_participating", "off_contract", "non_gpo_vendor", "uom_mismatch")
# The money keys a figure row shows, each with the narrowing that keeps only lines carrying that money.
NONZERO = {"savings": "savings", "overcharge": "overcharge", "missed_savings": "missed_savings"}

Filters = Mapping[str, str | Iterable[str] | None]


@dataclass(frozen=True)
class Drill:
    """A figure and the explorer address of the lines that sum to it; `savings` names its `/api/savings/` entry."""

    figure: str
    value: Decimal | float | None
    url: str
    savings: str = ""

    @property
    def is_rate(self) -> bool:
        return self.figure == "compliance_rate"


def _pairs(filters: Filters) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in filters.items():
        if value is None or value == "":
            continue
        if isinstance(value, str):
            pairs.append((name, value))
        else:
            pairs.extend((name, item) for item in value)
    return pairs


@dataclass(frozen=True)
class Scope:
    """What every link of a page shares: the period (as dates) and the practice (None: every member)."""

    period: Period
    practice: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def _prefix(self) -> str:
        """The address up to the group's filters: the practice and the period, encoded once per page."""
        params: list[tuple[str, str]] = []
        if self.practice:
            params.append(("practice", self.practice))
        params += list(self.period.query().items())
        return f"{LINES_URL}?{urlencode(params)}"

    def url(self, filters: Filters) -> str:
        """The explorer address for these filters within the scope."""
        pairs = _pairs({**self.extra, **filters})
        return f"{self._prefix}&{urlencode(pairs)}" if pairs else self._prefix

    def drill(self, figure: str, value: Any, savings: str = "", **filters: Any) -> Drill:
        """One figure's link: `filters` select the group; the figure's own narrowing is added here."""
        narrowed: dict[str, Any] = dict(filters)
        if figure in NONZERO:
            narrowed["nonzero"] = NONZERO[figure]
        elif figure == "on_contract_spend":
            status = filters.get("status")
            if status is None:
                narrowed["status"] = ON_CONTRACT
            elif isinstance(status, str) and status not in ON_CONTRACT:
                # A status outside the on-contract pair has no on-contract spend: nothing to list.
                return Drill(figure, value, "", savings)
        return Drill(figure, value, self.url(narrowed), savings)

    def figures(self, figures: Any, savings: str = "", **filters: Any) -> dict[str, Drill]:
        """Links for every money key of a `Figures` row (and its compliance rate) within one group."""
        drills = {
            key: self.drill(key, getattr(figures, key), savings, **filters)
            for key in ("spend", "on_contract_spend", "savings", "overcharge", "missed_savings")
        }
        drills["compliance_rate"] = Drill(
            "compliance_rate", figures.compliance_rate, self.url(filters), savings if savings else ""
        )
        drills["lines"] = Drill("lines", figures.lines, self.url(filters), savings)
        return drills
