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
import logging
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef

from gpo.members.models import Practice
from reports.models import FiguresVersion, PurchaseUpload

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Bump when the shape of what is cached changes: entries of the old shape are then never read.
KEY_PREFIX = "figures:1"


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


def figures_cached(kind: str, version: str | None, parameters: Hashable, compute: Callable[[], T]) -> T:
    """The cached value of `compute()` for this kind of figure, version and parameters; computed on a miss.

    The cache is an accelerator only: when it cannot be reached the figure is computed (and a warning logged).
    """
    if version is None:
        return compute()
    digest = hashlib.sha256(repr(parameters).encode()).hexdigest()[:32]
    key = f"{KEY_PREFIX}:{kind}:{version}:{digest}"
    try:
        found = cache.get(key)
    except Exception:  # the cache is down or unreadable: figures still come from the database
        logger.warning("figures cache unavailable for reading", exc_info=True)
        return compute()
    if found is not None:
        value: T = found
        return value
    value = compute()
    try:
        cache.set(key, value, settings.FIGURES_CACHE_SECONDS)
    except Exception:
        logger.warning("figures cache unavailable for writing", exc_info=True)
    return value
