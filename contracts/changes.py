"""Catalog change notifications: whoever changes contracts, items, prices or participations calls `catalog_changed`.

Listeners (registered once, e.g. by the reports app in its AppConfig.ready) are called with the affected vendor ids
after the surrounding transaction commits, so a background re-reconciliation never sees uncommitted rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

CatalogListener = Callable[[set[int]], None]

_listeners: list[CatalogListener] = []


def catalog_listener_register(fn: CatalogListener) -> None:
    """Call `fn(vendor_ids)` after every committed catalog change (registering the same function twice is a no-op)."""
    if fn not in _listeners:
        _listeners.append(fn)


def catalog_changed(*, vendor_ids: Iterable[int]) -> None:
    """Tell the listeners, on commit, that these vendors' contracts, items, prices or participations changed."""
    changed = {int(v) for v in vendor_ids}
    if not changed:
        return

    def notify() -> None:
        for listener in list(_listeners):
            listener(set(changed))

    transaction.on_commit(notify)
