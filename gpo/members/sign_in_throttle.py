"""Sign-in attempts throttled per client address and per username (SECURITY.md item 21, issue 15).

Lock-out (django-axes) counts failures; this counts every attempt, right or wrong, so a guesser cannot reset a
counter with one good sign-in of its own. Both counters live in the default cache: Redis via `CACHE_URL` in
production, shared by every web process (DESIGN.md section 6). The login form and the token endpoint share it.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400}


def _rate(text: str) -> tuple[int, int]:
    """'20/minute' -> (20, 60): attempts allowed per window of that many seconds."""
    count, _, period = text.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def _key(kind: str, ident: str, window: int) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", "replace")).hexdigest()[:32]
    return f"sign-in-throttle:{kind}:{digest}:{window}"


def sign_in_wait(request: Any, username: str | None) -> int | None:
    """Count one sign-in attempt; the seconds to wait when this address or username is over its rate, else None."""
    idents = {"ip": get_client_ip_address(request) or "", "username": (username or "").strip().casefold()}
    now = int(time.time())
    wait: int | None = None
    for kind, ident in idents.items():
        if not ident:
            continue
        allowed, period = _rate(settings.LOGIN_THROTTLE_RATES[kind])
        window = now // period
        key = _key(kind, ident, window)
        # add-then-incr is atomic on Redis and local memory: concurrent processes never lose a count.
        attempts = 1 if cache.add(key, 1, timeout=period) else cache.incr(key)
        if attempts > allowed:
            wait = max(wait or 0, (window + 1) * period - now)
    return wait
