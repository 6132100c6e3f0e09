"""The demo catalog: realistic, differing participations, and idempotent.

Seeding takes seconds, so each test seeds once and checks one outcome's several facets.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from contracts.demo import seed_catalog
from contracts.models import Contract, ContractPrice, Participation
from gpo.members.demo import seed_members
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_the_catalog_once_with_the_same_counts(capsys):
    call_command("seed_demo", "--no-real-data")
    first = capsys.readouterr().out
    call_command("seed_demo", "--no-real-data")
    second = capsys.readouterr().out

    summary = re.compile(
        r"Catalog: (\d+) vendors, (\d+) contracts \((\d+) new\), (\d+) items, (\d+) prices, (\d+) part"
    )
    first_counts, second_counts = summary.search(first).groups(), summary.search(second).groups()  # type: ignore[union-attr]
    assert first_counts[:2] == ("40", "36")
    assert first_counts[2] == "36"
    assert second_counts[2] == "0"
    assert first_counts[3:] == second_counts[3:]
    assert first_counts[:2] == second_counts[:2]


def test_seed_catalog_builds_a_realistic_radiology_catalog_that_differs_per_practice():
    seed_members()

    counts = seed_catalog()

    assert (counts["vendors"], counts["contracts"]) == (40, 36)
    assert 2000 <= counts["items"] <= 4000
    assert Contract.objects.filter(discount_pct__isnull=False, items__isnull=True).count() == 9
    assert list(Contract.objects.filter(status=Contract.Status.DRAFT).values_list("number", flat=True)) == [
        "RPC-IT-2026-03"
    ]
    assert ContractPrice.objects.filter(tier="Tier 3").exists()
    assert ContractPrice.objects.filter(min_qty=50).exists()
    assert ContractPrice.objects.filter(effective_to__isnull=False).exists()
    assert Vendor.objects.get(aliases__name="GE MEDICAL SYSTEMS").name == "GE Healthcare"

    def joined(slug: str) -> set[tuple[str, str]]:
        return set(Participation.objects.filter(practice__slug=slug).values_list("contract__number", "tier"))

    assert ("RPC-CM-2025-01", "Tier 1") in joined("lakeside-radiology")
    assert ("RPC-CM-2025-01", "Tier 2") in joined("piedmont-imaging")
    assert joined("lakeside-radiology") != joined("piedmont-imaging")


def test_seed_catalog_adds_va_fss_imaging_rows_once(real_data):
    seed_members()

    first = seed_catalog(real_data=real_data)
    second = seed_catalog(real_data=real_data)

    assert first["va_rows"] > 0
    assert second["va_rows"] == 0
    assert (second["items"], second["prices"], second["contracts"]) == (
        first["items"],
        first["prices"],
        first["contracts"],
    )
    assert first["contracts"] > 36
