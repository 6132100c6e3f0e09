"""The coalition tier simulator: a tier gap and its value to each member, hand-computed (issue 18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.models import Basis, ContractTier
from gpo.members.models import Role
from gpo.money import ZERO
from reports.models import PurchaseLine
from reports.services.reconciliation import lines_reconcile
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PracticeFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)

AS_OF = "2026-12-06"  # the tier period: the 12 whole months Dec 2025 - Nov 2026


@pytest.fixture
def tiered(practice_a, practice_b):
    """Contract C-TIER (volume over 12 months): tier C from 0 units, B from 100, A from 250.

    X (EA, list 100): C 80, B 75, A 70.  Y (box of 10, list 500): C 400, B 380, A 350.
    Alpha (tier B): X 60 @ 75; Y 5 BX @ 380; Y 20 EA @ 38 (= 2 BX)         volume 67
    Beta (tier B):  X 100 @ 75; Y 13 BX @ 385 (overcharged)                 volume 113
    Aggregate 180: tier B reached, A next, gap 70.
    Value at A: Alpha 60x5 + 5x30 + 2x30 = 510.00; Beta 100x5 + 13x30 = 890.00; total 1400.00.
    Gamma (not in the contract): X 50 @ 82 (not participating, 50 units) and Z-9 30 @ 5 (off contract, no item: 0
    units, 150.00). Delta (not in it): X 30 @ 80 (30 units). Gamma and Delta together (80) close the gap of 70.
    """
    vendor = VendorFactory(name="Tiered Contrast", slug="tiered")
    contract = ContractFactory(vendor=vendor, number="C-TIER", tier_basis=Basis.VOLUME, tier_period_months=12)
    for name, threshold in (("C", 0), ("B", 100), ("A", 250)):
        ContractTier.objects.create(contract=contract, tier=name, threshold=Decimal(threshold))
    x = ContractItemFactory(contract=contract, vendor_sku="X", list_price=Decimal("100"))
    y = ContractItemFactory(contract=contract, vendor_sku="Y", uom="BX", units_per_uom=10, list_price=Decimal("500"))
    for item, prices in ((x, ("80", "75", "70")), (y, ("400", "380", "350"))):
        for name, price in zip("CBA", prices, strict=True):
            ContractPriceFactory(item=item, tier=name, price=Decimal(price))
    gamma = PracticeFactory(name="Gamma Imaging", slug="gamma")
    delta = PracticeFactory(name="Delta Radiology", slug="delta")
    ParticipationFactory(practice=practice_a, contract=contract, tier="B")
    ParticipationFactory(practice=practice_b, contract=contract, tier="B")
    rows = [
        (practice_a, "X", "60", "EA", "75"),
        (practice_a, "Y", "5", "BX", "380"),
        (practice_a, "Y", "20", "EA", "38"),
        (practice_b, "X", "100", "EA", "75"),
        (practice_b, "Y", "13", "BX", "385"),
        (gamma, "X", "50", "EA", "82"),
        (gamma, "Z-9", "30", "EA", "5"),
        (delta, "X", "30", "EA", "80"),
    ]
    for practice, sku, quantity, uom, price in rows:
        PurchaseLineFactory(
            upload=PurchaseUploadFactory(practice=practice),
            vendor_name="Tiered Contrast",
            sku=sku,
            quantity=Decimal(quantity),
            uom=uom,
            unit_price=Decimal(price),
            purchase_date=date(2026, 6, 15),
        )
    lines_reconcile(queryset=PurchaseLine.objects.all())
    return contract


def _simulate(client, contract="C-TIER"):
    return client.get("/api/tier-simulation/", {"contract": contract, "as_of": AS_OF})


def test_lines_are_reconciled_as_the_scenario_says(tiered):
    statuses = sorted(PurchaseLine.objects.values_list("practice__slug", "sku", "status"))
    assert statuses == [
        ("alpha-radiology", "X", "on_contract"),
        ("alpha-radiology", "Y", "on_contract"),
        ("alpha-radiology", "Y", "on_contract"),
        ("beta-imaging", "X", "on_contract"),
        ("beta-imaging", "Y", "overcharged"),
        ("delta", "X", "not_participating"),
        ("gamma", "X", "not_participating"),
        ("gamma", "Z-9", "off_contract"),
    ]


def test_tier_gap_and_its_value_to_each_member(tiered, make_member, api_client_for):
    response = _simulate(api_client_for(make_member(Role.COALITION_EXECUTIVE)))

    assert response.status_code == 200
    body = response.json()
    assert (body["basis"], body["start"], body["end"]) == ("volume", "2025-12-01", "2026-11-30")
    assert (body["aggregate"], body["current_tier"], body["next_tier"], body["gap"]) == ("180", "B", "A", "70")
    assert [(t["tier"], t["threshold"], t["reached"]) for t in body["tiers"]] == [
        ("C", "0", True),
        ("B", "100", True),
        ("A", "250", False),
    ]
    assert [p["price"] for p in body["tiers"][2]["prices"]] == ["70.00", "350.00"]
    assert [(m["practice"], m["measure"], m["value_at_next_tier"]) for m in body["members"]] == [
        ("alpha-radiology", "67", "510.00"),
        ("beta-imaging", "113", "890.00"),
    ]
    assert body["value_total"] == "1400.00"


def test_practices_whose_outside_purchases_close_the_gap(tiered, make_member, api_client_for):
    body = _simulate(api_client_for(make_member(Role.COALITION_ADMIN))).json()

    assert [(c["practice"], c["contribution"], c["spend"], c["needed"]) for c in body["gap_closers"]] == [
        ("gamma", "50", "4250.00", True),
        ("delta", "30", "2400.00", True),
    ]
    assert body["closes_gap"] is True
    assert body["gap_closers"][0]["lines"].startswith("/api/lines/?practice=gamma&vendor=tiered&contract=C-TIER")


def test_spend_basis_measures_money(tiered, make_member, api_client_for):
    tiered.tier_basis = Basis.SPEND
    tiered.save()
    ContractTier.objects.filter(contract=tiered, tier="A").update(threshold=Decimal("20000"))

    body = _simulate(api_client_for(make_member(Role.COALITION_EXECUTIVE))).json()

    # Alpha 4500 + 1900 + 760 = 7160.00; Beta 7500 + 5005 = 12505.00; together 19665.00, 335.00 short of A.
    assert (body["aggregate"], body["next_tier"], body["gap"]) == ("19665.00", "A", "335.00")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_practice_roles_get_403_case(role, tiered, practice_a, make_member, api_client_for):
    assert _simulate(api_client_for(make_member(role, practice_a))).status_code == 403


def test_unknown_contract_is_404_and_untiered_is_400(tiered, make_member, api_client_for):
    client = api_client_for(make_member(Role.COALITION_EXECUTIVE))
    assert _simulate(client, "NOPE").status_code == 404
    ContractFactory(number="PLAIN")
    assert _simulate(client, "PLAIN").status_code == 400


def test_the_page_shows_the_gap_and_each_members_value(tiered, make_member, client):
    client.force_login(make_member(Role.COALITION_EXECUTIVE))

    page = client.get("/coalition/tiers/", {"contract": "C-TIER", "as_of": AS_OF}).content.decode()

    assert "70 units" in page
    assert "$510.00" in page
    assert "$890.00" in page
    assert "$1,400.00" in page


def test_the_page_is_403_for_a_practice_executive(practice_a, make_member, client):
    client.force_login(make_member(Role.EXECUTIVE, practice_a))

    assert client.get("/coalition/tiers/").status_code == 403


def test_contract_page_and_coalition_dashboard_link_to_the_simulator(tiered, make_member, client):
    client.force_login(make_member(Role.COALITION_EXECUTIVE))

    assert "/coalition/tiers/?contract=C-TIER" in client.get(f"/catalog/contracts/{tiered.pk}/").content.decode()
    assert 'href="/coalition/tiers/"' in client.get("/coalition/").content.decode()


def test_a_member_already_at_the_next_tier_gains_nothing(tiered, practice_b, make_member, api_client_for):
    tiered.participations.filter(practice=practice_b).update(tier="A")

    body = _simulate(api_client_for(make_member(Role.COALITION_EXECUTIVE))).json()

    # Beta is priced at tier A already (the stored lines are not reconciled again here): it stays there, so reaching
    # A is worth nothing more to it; Alpha's value stays 510.00.
    assert [(m["practice"], m["value_at_next_tier"]) for m in body["members"]] == [
        ("alpha-radiology", "510.00"),
        ("beta-imaging", "0.00"),
    ]


def test_gap_closers_mark_the_fewest_needed_and_none_when_they_cannot_close_it():
    from reports.tiers import gap_closers

    contributions = {1: (Decimal("40"), Decimal("400")), 2: (Decimal("50"), Decimal("500")), 3: (Decimal("5"), ZERO)}

    assert [(c.practice_id, c.needed) for c in gap_closers(contributions, Decimal("70"))] == [
        (2, True),
        (1, True),
        (3, False),
    ]
    assert [c.needed for c in gap_closers(contributions, Decimal("96"))] == [False, False, False]
