"""When follow-up work runs: after commit with a real broker, at once when Celery runs in-process."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction


def run_after_commit(work: Callable[[], object]) -> None:
    """Run `work` once the current transaction commits, or right away when tasks run eagerly in-process.

    A separate worker must never see uncommitted rows (STYLE.md rule 10), so with a broker the work waits for the
    commit. With no broker there is no other process: running now, on the same connection, sees the rows and
    leaves nothing waiting on a commit that an outer transaction (a test, a management command) may never make.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        work()
    else:
        transaction.on_commit(work)
