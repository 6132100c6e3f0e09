"""A catalog change listener for tests: it records what it hears (named in settings by the `notified` fixtures)."""

from __future__ import annotations

HEARD: list[set[int]] = []
PATH = "tests.contracts.listening.record"


def record(vendor_ids: set[int]) -> None:
    HEARD.append(vendor_ids)
