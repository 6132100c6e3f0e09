"""Filing overcharge claims per vendor and tracking the vendor's answer (reports.services.claims)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from reports.models import ClaimEvent, ClaimLine, OverchargeClaim
from reports.selectors.claims import claim_candidates, claimable_lines, recovery_totals
from reports.services.claims import claim_create, claim_status_update

pytestmark = pytest.mark.django_db
Status = OverchargeClaim.Status


def test_candidates_group_unclaimed_overcharge_by_vendor_largest_first(overcharges, practice_a):
    found = claim_candidates(practice=practice_a)

    assert [(c.vendor.slug, c.lines, c.amount) for c in found] == [
        ("bracco", 3, Decimal("32.50")),
        ("ge-healthcare", 1, Decimal("7.25")),
    ]
    assert (found[0].first_date, found[0].last_date) == (date(2026, 2, 3), date(2026, 3, 20))


def test_claim_copies_the_vendors_lines_and_nets_returns(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a, notes="First claim")

    assert claim.amount_claimed == Decimal("32.50")
    assert (claim.period_start, claim.period_end) == (date(2026, 2, 3), date(2026, 3, 20))
    assert sorted(claim.lines.values_list("invoice_number", "overcharge")) == [
        ("CR-2", Decimal("-2.50")),
        ("INV-1", Decimal("5.00")),
        ("INV-2", Decimal("30.00")),
    ]
    line = claim.lines.get(invoice_number="INV-2")
    assert (line.contract_number, line.unit_price, line.contract_price, line.quantity) == (
        "GPO-CM-01",
        Decimal("13.0000"),
        Decimal("10.0000"),
        Decimal("10.0000"),
    )
    assert list(claim.events.values_list("status", "user", "note")) == [("open", finance_a.id, "First claim")]


def test_claimed_lines_are_not_offered_again(overcharges, practice_a, finance_a):
    claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    assert [c.vendor.slug for c in claim_candidates(practice=practice_a)] == ["ge-healthcare"]
    with pytest.raises(ValidationError, match="No unclaimed overcharges from Bracco"):
        claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    assert OverchargeClaim.objects.count() == 1


def test_a_claim_never_holds_another_practices_lines(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    assert overcharges["theirs"].id not in set(claim.lines.values_list("purchase_line_id", flat=True))
    assert claimable_lines(practice=practice_a).filter(id=overcharges["theirs"].id).count() == 0


def test_claim_of_a_period_takes_only_its_lines(overcharges, practice_a, finance_a):
    claim = claim_create(
        practice=practice_a, vendor=overcharges["bracco"], user=finance_a, start=date(2026, 3, 1), end=date(2026, 3, 9)
    )

    assert list(claim.lines.values_list("invoice_number", flat=True)) == ["INV-2"]
    assert claim.amount_claimed == Decimal("30.00")


def test_lines_netting_to_nothing_are_not_claimed(overcharges, practice_a, finance_a):
    with pytest.raises(ValidationError, match="nothing to claim"):
        claim_create(
            practice=practice_a, vendor=overcharges["bracco"], user=finance_a, start=date(2026, 3, 20), end=None
        )
    assert ClaimLine.objects.count() == 0


def test_credited_recovers_the_full_amount_and_keeps_the_history(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    claim_status_update(claim=claim, user=finance_a, status=Status.SENT, note="Emailed to J. Doe")
    claim = claim_status_update(claim=claim, user=finance_a, status=Status.CREDITED, note="Credit memo CM-88")

    assert (claim.status, claim.amount_recovered) == ("credited", Decimal("32.50"))
    assert list(claim.events.values_list("status", "amount_recovered", "note")) == [
        ("open", Decimal("0.00"), ""),
        ("sent", Decimal("0.00"), "Emailed to J. Doe"),
        ("credited", Decimal("32.50"), "Credit memo CM-88"),
    ]


def test_partly_credited_records_the_amount_given(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    claim = claim_status_update(
        claim=claim, user=finance_a, status=Status.PARTLY_CREDITED, amount_recovered=Decimal("20.005")
    )

    assert claim.amount_recovered == Decimal("20.01")
    assert recovery_totals(practice=practice_a).recovered == Decimal("20.01")


@pytest.mark.parametrize(
    ("status", "amount", "message"),
    [
        ("partly_credited", None, "Give the amount"),
        ("partly_credited", Decimal("32.50"), "less than the 32.50"),
        ("partly_credited", Decimal("0"), "more than 0.00"),
        ("denied", Decimal("5"), "Only a credited"),
        ("credited", Decimal("1"), "full amount"),
        ("paid", None, "Unknown status"),
    ],
)
def test_inconsistent_answer_is_refused_and_nothing_written_case(
    overcharges, practice_a, finance_a, status, amount, message
):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    with pytest.raises(ValidationError, match=message):
        claim_status_update(claim=claim, user=finance_a, status=status, amount_recovered=amount)

    claim.refresh_from_db()
    assert (claim.status, claim.amount_recovered, ClaimEvent.objects.count()) == ("open", Decimal("0.00"), 1)


def test_recovery_totals_sum_every_claim(overcharges, practice_a, finance_a):
    bracco = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    claim_create(practice=practice_a, vendor=overcharges["ge"], user=finance_a)
    claim_status_update(claim=bracco, user=finance_a, status=Status.CREDITED)

    totals = recovery_totals(practice=practice_a)

    assert (totals.claims, totals.claimed, totals.recovered, totals.pending) == (
        2,
        Decimal("39.75"),
        Decimal("32.50"),
        1,
    )
