"""When follow-up work runs: once the current transaction commits, with a broker or without one."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def run_after_commit(work: Callable[[], object]) -> None:
    """Run `work` once the current transaction commits (at once when none is open); never if it rolls back.

    A separate worker must never see uncommitted rows (STYLE.md rule 10), and with no broker (tasks run eagerly
    in-process) the work runs at the same moment, so the order of events is one everywhere. The test suite's own
    wrapping transaction stands for the database (tests/conftest.py): leaving the code's outermost transaction
    inside it counts as its commit.
    """
    transaction.on_commit(work)
