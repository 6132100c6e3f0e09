"""Billing fixtures: Stripe keys set for a test, and the recording HTTP layer under the real StripeClient."""

from __future__ import annotations

from typing import Any

import pytest

from gpo.billing import stripe_client
from tests.gpo.billing.stripe_fakes import SECRET_KEY, WEBHOOK_SECRET, RecordingHTTPClient


@pytest.fixture
def stripe_keys(settings: Any) -> None:
    """Billing configured with test-mode keys."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_offline"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def stripe_http(stripe_keys: None, monkeypatch: pytest.MonkeyPatch) -> RecordingHTTPClient:
    """The HTTP layer every Stripe call of the test goes through; nothing reaches the network."""
    recorder = RecordingHTTPClient()
    monkeypatch.setattr(stripe_client, "http_client", lambda: recorder)
    return recorder
