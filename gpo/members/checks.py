"""Deployment check: sign-in throttles and lock-out need a cache shared by every web process (DESIGN.md section 6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        return [
            Warning(
                "The cache is local to each process: throttles and login lock-out count per web process.",
                hint="Set CACHE_URL (e.g. redis://host:6379/1) so every web process shares one count.",
                id="gpo.W001",
            )
        ]
    return []
