"""`seed_demo` prints the address the server actually uses (`make demo` passes its HOST and PORT)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from reports.management.commands import seed_demo


@pytest.fixture
def quick_seeders(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeders are tested elsewhere; here only the printed address matters."""
    catalog: dict[str, Any] = dict.fromkeys(
        ("vendors", "contracts", "contracts_created", "items", "prices", "participations", "va_rows"), 0
    )
    monkeypatch.setattr(seed_demo, "seed_members", lambda: [])
    monkeypatch.setattr(seed_demo, "seed_catalog", lambda real_data: catalog)
    monkeypatch.setattr(seed_demo, "seed_purchases", lambda: {})
    monkeypatch.setattr(seed_demo, "seed_billing", lambda: {})
    monkeypatch.setattr(seed_demo, "seed_month_closes", lambda: {"closed": 0, "restatements": 0})
    monkeypatch.setattr(seed_demo, "seed_tier_terms", lambda: [])
    monkeypatch.setattr(seed_demo, "seed_commitment_terms", lambda: [])
    monkeypatch.setattr(seed_demo, "seed_admin_fee_report", lambda: None)


def _output(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-real-data", *args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("quick_seeders")
def test_prints_the_port_it_is_given():
    assert "Sign in at http://0.0.0.0:8104/accounts/login/" in _output("--host", "0.0.0.0", "--port", "8104")


@pytest.mark.usefixtures("quick_seeders")
def test_port_defaults_to_the_environments(monkeypatch):
    monkeypatch.setenv("PORT", "8231")
    monkeypatch.delenv("HOST", raising=False)

    assert "Sign in at http://127.0.0.1:8231/accounts/login/" in _output()
