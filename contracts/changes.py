"""Who hears that the catalog changed: a tiny explicit listener registry (no signals, STYLE.md rule 3).

Contracts cannot import reports (the layering of DESIGN.md section 2), yet a changed contract or price must
re-reconcile the affected purchase lines (DESIGN.md section 4, last line). The reports app registers a listener at
start-up; every catalog-changing service calls `catalog_changed`, which notifies the listeners once the
transaction commits (a rolled-back change notifies nobody), or at once when Celery runs in-process (gpo.jobs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gpo.jobs import run_after_commit
from vendors.services import catalog_version_bump

CatalogListener = Callable[[set[int]], None]

_listeners: list[CatalogListener] = []


def catalog_listener_register(fn: CatalogListener) -> CatalogListener:
    """Register `fn(vendor_ids)` to be called after a committed catalog change; registering twice is a no-op."""
    if fn not in _listeners:
        _listeners.append(fn)
    return fn


def catalog_listener_unregister(fn: CatalogListener) -> None:
    """Remove a listener (tests)."""
    if fn in _listeners:
        _listeners.remove(fn)


def catalog_listeners() -> tuple[CatalogListener, ...]:
    """The registered listeners, in registration order."""
    return tuple(_listeners)


def catalog_changed(*, vendor_ids: Iterable[int]) -> None:
    """Tell every listener which vendors' catalog changed: after commit, or at once when jobs run in-process.

    The catalog's version changes here, inside the writing transaction: cached catalog fragments go with it.
    """
    ids = {int(vendor_id) for vendor_id in vendor_ids if vendor_id is not None}
    if not ids:
        return
    catalog_version_bump()

    def deliver() -> None:
        for listener in tuple(_listeners):
            listener(set(ids))

    run_after_commit(deliver)
