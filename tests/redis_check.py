"""Whether a Redis answers: tests that need a real one skip with the reason where it does not."""

from __future__ import annotations

import socket
from urllib.parse import urlparse


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False
