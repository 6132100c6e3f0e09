"""Keeping the savings summary in step with stored lines. Filled by the reconciliation/savings issue."""

from __future__ import annotations

from collections.abc import Iterable


def savings_summary_refresh(*, practice_ids: Iterable[int]) -> None:
    """Recompute the per-practice savings summary rows from the stored lines of these practices."""
    return
