"""Who hears that the catalog changed: the listeners named in `settings.CATALOG_CHANGE_LISTENERS` (STYLE.md rule 3).

Contracts cannot import reports (the layering of DESIGN.md section 2), yet a changed contract or price must
re-reconcile the affected purchase lines (DESIGN.md section 4, last line). So the one list of who listens is a
setting, read where it is used, like Django's middleware: dotted paths of functions taking the changed vendor ids.
Every catalog-changing service calls `catalog_changed`, which calls each listener once the transaction commits (a
rolled-back change notifies nobody; gpo.jobs.run_after_commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.module_loading import import_string

from gpo.jobs import run_after_commit
from vendors.services import catalog_version_bump

CatalogListener = Callable[[set[int]], None]


def catalog_listeners() -> tuple[CatalogListener, ...]:
    """The listeners `settings.CATALOG_CHANGE_LISTENERS` names, in its order."""
    return tuple(import_string(path) for path in settings.CATALOG_CHANGE_LISTENERS)


def catalog_changed(*, vendor_ids: Iterable[int]) -> None:
    """Tell every listener which vendors' catalog changed, once the change commits (gpo.jobs.run_after_commit).

    The catalog's version changes here, inside the writing transaction: cached catalog fragments go with it.
    """
    ids = {int(vendor_id) for vendor_id in vendor_ids if vendor_id is not None}
    if not ids:
        return
    catalog_version_bump()

    def deliver() -> None:
        for listener in catalog_listeners():
            listener(set(ids))

    run_after_commit(deliver)
