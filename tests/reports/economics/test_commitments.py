"""Commitments at risk: run rate, projection (linear, or same months last year) and shortfall, hand-computed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.models import Basis
from gpo.members.models import Role
from reports.models import PurchaseLine
from reports.services.reconciliation import lines_reconcile
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)

AS_OF = "2026-07-15"  # January to June 2026 are over: 6 of the 12 months


def _line(practice, day, quantity):
    PurchaseLineFactory(
        upload=PurchaseUploadFactory(practice=practice),
        vendor_name="Commit Supply",
        sku="K",
        quantity=Decimal(quantity),
        unit_price=Decimal("80"),
        purchase_date=day,
    )


@pytest.fixture
def committed(practice_a):
    """C-COMMIT: 12,000.00 of spend committed for 2026 (penalty 5,000.00, prices drop to Tier 3).

    Alpha buys 10 K at 80.00 in each month January-June 2026: 4,800.00 to date, 800.00 a month.
    Linear: 800.00 x 12 = 9,600.00, 2,400.00 short; 7,200.00 / 6 = 1,200.00 a month would meet it.
    """
    vendor = VendorFactory(name="Commit Supply", slug="commit")
    contract = ContractFactory(
        vendor=vendor,
        number="C-COMMIT",
        commitment_basis=Basis.SPEND,
        commitment_amount=Decimal("12000"),
        commitment_start=date(2026, 1, 1),
        commitment_end=date(2026, 12, 31),
        commitment_penalty=Decimal("5000"),
        commitment_drop_tier="Tier 3",
    )
    item = ContractItemFactory(contract=contract, vendor_sku="K", list_price=Decimal("100"))
    ContractPriceFactory(item=item, price=Decimal("80"))
    ParticipationFactory(practice=practice_a, contract=contract)
    for month in range(1, 7):
        _line(practice_a, date(2026, month, 10), "10")
    _line(practice_a, date(2026, 7, 2), "99")  # July is not over on the 15th: not counted yet
    lines_reconcile(queryset=PurchaseLine.objects.all())
    return contract


def _commitments(client):
    return client.get("/api/commitments/", {"as_of": AS_OF})


def test_linear_projection_and_its_shortfall(committed, make_member, api_client_for):
    response = _commitments(api_client_for(make_member(Role.COALITION_EXECUTIVE)))

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["committed"], row["to_date"], row["counted_to"]) == ("12000.00", "4800.00", "2026-06-30")
    assert (row["months_elapsed"], row["months_total"], row["months_left"]) == (6, 12, 6)
    assert (row["method"], row["run_rate"], row["projection"]) == ("linear", "800.00", "9600.00")
    assert (row["shortfall"], row["needed_run_rate"], row["status"]) == ("2400.00", "1200.00", "at_risk")
    assert (row["penalty"], row["drop_tier"]) == ("5000.00", "Tier 3")
    assert row["warning"] == (
        "C-COMMIT is on course to end $2,400.00 short of its commitment (the run rate to date) in 6 months, "
        "triggering a penalty of $5,000.00 and prices falling to tier Tier 3; $1,200.00 a month would meet it."
    )


def test_same_months_last_year_when_there_is_history(committed, practice_a, make_member, api_client_for):
    # July-December 2025, before the contract: 8,000.00 bought from the vendor (off contract then).
    _line(practice_a, date(2025, 9, 10), "60")
    _line(practice_a, date(2025, 11, 10), "40")
    _line(practice_a, date(2025, 6, 30), "500")  # June 2025 is not among the remaining months
    lines_reconcile(queryset=PurchaseLine.objects.filter(purchase_date__year=2025))

    (row,) = _commitments(api_client_for(make_member(Role.COALITION_ADMIN))).json()["results"]

    # 4,800.00 to date + 8,000.00 in the same months last year = 12,800.00: on track.
    assert (row["method"], row["projection"], row["shortfall"], row["status"]) == (
        "same_months_last_year",
        "12800.00",
        "0.00",
        "on_track",
    )
    assert row["warning"] == ""


def test_a_volume_commitment_ended_short_is_missed(committed, make_member, api_client_for):
    committed.commitment_basis = Basis.VOLUME
    committed.commitment_amount = Decimal("100")
    committed.save()

    (row,) = (
        api_client_for(make_member(Role.COALITION_EXECUTIVE))
        .get("/api/commitments/", {"as_of": "2027-02-01"})
        .json()["results"]
    )

    # 6 x 10 + 99 in July = 159 units >= 100: met.
    assert (row["to_date"], row["status"], row["shortfall"]) == ("159", "met", "0")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_practice_roles_get_403_case(role, committed, practice_a, make_member, api_client_for, client):
    member = make_member(role, practice_a)
    assert _commitments(api_client_for(member)).status_code == 403
    client.force_login(member)
    assert client.get("/coalition/commitments/").status_code == 403


def test_the_page_warns_months_ahead(committed, make_member, client, settings):
    client.force_login(make_member(Role.COALITION_EXECUTIVE))

    page = client.get("/coalition/commitments/").content.decode()

    # Today the whole of 2026 but December is over: 4,800.00 + 7,920.00 (July) = 12,720.00 in 11 months, on track.
    assert "C-COMMIT" in page
    assert "On track" in page
