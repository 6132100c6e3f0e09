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

from django.db.models import Exists, OuterRef

from gpo.cache import cached_by_version
from gpo.members.models import Practice
from reports.models import FiguresVersion, PurchaseUpload


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


def scope_version(practice_ids: Sequence[int] | None) -> str | None:
    """One version for the figures of these practices (every practice when None); None: do not cache.

    One query: each practice's token, and whether a practice without one has uploads (then its lines were stored
    without the summary that would have given it a token, and its figures are not cached).
    """
    practices = Practice.objects.all() if practice_ids is None else Practice.objects.filter(pk__in=practice_ids)
    rows = (
        practices.annotate(has_uploads=Exists(PurchaseUpload.objects.filter(practice_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "figures_version__token", "has_uploads")
    )
    parts = []
    for practice_id, token, has_uploads in rows:
        if token is None and has_uploads:
            return None
        parts.append(f"{practice_id}:{token or ''}")
    return hashlib.sha256(",".join(parts).encode()).hexdigest()


# Figures are cached like any versioned value (gpo.cache); the name says what the callers cache.
figures_cached = cached_by_version
