"""Values cached under a version that every write of their data replaces (issue 16).

A caller passes the version of the data a value is computed from (a random token the writes replace in their own
transaction: `reports.models.FiguresVersion`, `vendors.models.CatalogVersion`). A write makes every value computed
before it unreachable, so nothing is ever read stale and nothing has to be deleted (old entries expire). The cache
is an accelerator only: when it cannot be reached the value is computed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Bump when the shape of what is cached changes: entries of the old shape are then never read.
KEY_PREFIX = "versioned:2"


def cached_by_version(kind: str, version: str | None, parameters: Hashable, compute: Callable[[], T]) -> T:
    """The cached value of `compute()` for this kind of value, version and parameters; computed on a miss.

    `version` None: the data has no version yet (written some way that does not keep one), so nothing is cached.
    """
    if version is None:
        return compute()
    digest = hashlib.sha256(repr(parameters).encode()).hexdigest()[:32]
    key = f"{KEY_PREFIX}:{kind}:{version}:{digest}"
    try:
        found = cache.get(key)
    except Exception:  # the cache is down or unreadable: the value still comes from the database
        logger.warning("cache unavailable for reading", exc_info=True)
        return compute()
    if found is not None:
        value: T = found
        return value
    value = compute()
    try:
        cache.set(key, value, settings.FIGURES_CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable for writing", exc_info=True)
    return value


def cached_html(kind: str, version: str | None, parameters: Hashable, render: Callable[[], str]) -> SafeString:
    """A rendered page fragment cached like any versioned value; `render` returns the template's (escaped) output."""
    return mark_safe(cached_by_version(kind, version, parameters, render))  # rendered by a template
