"""A versioned cache of the figures many requests share (issue 16): savings, dashboards, coalition tables.

A figure is cached under the figures versions of the practices it covers (`FiguresVersion`, one random token per
practice). Every write that changes a practice's figures goes through the savings summary
(`reports.services.savings`), which gives the practice a new token in the same transaction: the figure's key
changes with its data, so a cached figure is never read stale and nothing has to be deleted (old entries expire).

What is cached holds ids and sums only; names (vendor, category, contract, practice) are read per request, so a
renamed vendor shows at once without the catalog having to tell the cache.

A scope that includes a practice with uploads but no token yet (lines stored some other way) is not cached: its
figures are computed on every request until its summary is written once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence

from django.db import connection

from gpo.cache import cached_by_version
from gpo.members.models import Practice
from reports.models import FiguresVersion, PurchaseUpload
from vendors.models import CatalogVersion


def figures_versions_bump(*, practice_ids: Iterable[int]) -> None:
    """Give these practices a new figures version; call inside the transaction that changes their figures."""
    ids = sorted({int(practice_id) for practice_id in practice_ids})
    if not ids:
        return
    FiguresVersion.objects.bulk_create(
        [FiguresVersion(practice_id=practice_id, token=uuid.uuid4().hex) for practice_id in ids],
        update_conflicts=True,
        unique_fields=["practice"],
        update_fields=["token"],
    )


def scope_version(practice_ids: Sequence[int] | None, *, with_names: bool = False) -> str | None:
    """One version for the figures of these practices (every practice when None); None: do not cache.

    One query: each practice's token, and whether a practice without one has uploads (then its lines were stored
    without the summary that would have given it a token, and its figures are not cached). `with_names`: the
    version of figures shown with vendor and category names, so the catalog's version is part of it (same query):
    a renamed vendor or category makes them unreachable too.

    Written as SQL: this query runs on every cached read, and building it with the ORM cost more than running it.
    """
    practices, versions, uploads = (m._meta.db_table for m in (Practice, FiguresVersion, PurchaseUpload))
    catalog = f", (SELECT token FROM {CatalogVersion._meta.db_table} WHERE id = 1)" if with_names else ""
    where, parameters = "", list(practice_ids) if practice_ids is not None else []
    if practice_ids is not None:
        if not parameters:
            return _digest([])
        where = f"WHERE p.id IN ({', '.join(['%s'] * len(parameters))})"
    sql = (
        f"SELECT p.id, v.token, EXISTS(SELECT 1 FROM {uploads} u WHERE u.practice_id = p.id){catalog} "
        f"FROM {practices} p LEFT JOIN {versions} v ON v.practice_id = p.id {where} ORDER BY p.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    parts = []
    for practice_id, token, has_uploads, *_catalog in rows:
        if token is None and has_uploads:
            return None
        parts.append(f"{practice_id}:{token or ''}")
    if with_names and rows:
        parts.append(f"catalog:{rows[0][3] or ''}")  # no row yet: the catalog's first write will add one
    return _digest(parts)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256(",".join(parts).encode()).hexdigest()


# Figures are cached like any versioned value (gpo.cache); the name says what the callers cache.
figures_cached = cached_by_version
