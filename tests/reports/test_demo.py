"""Demo purchases: every seeded practice gets a processed upload whose lines show every kind of finding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.demo import seed_catalog
from gpo.members.demo import seed_members
from gpo.members.models import Practice, Role
from reports.demo import DEMO_PURCHASERS, seed_purchases
from reports.models import PurchaseLine, PurchaseUpload, RejectedRow

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def test_seed_purchases_uploads_realistic_files_that_show_savings_and_overcharges_once(make_member, api_client_for):
    seed_members()
    seed_catalog(real_data=None)

    summary = seed_purchases(today=TODAY)

    slugs = [slug for slug, _, _ in DEMO_PURCHASERS]
    assert list(summary) == slugs
    for slug in slugs:
        practice = Practice.objects.get(slug=slug)
        upload = PurchaseUpload.objects.get(practice=practice)
        assert upload.status == PurchaseUpload.Status.DONE
        assert upload.rows_rejected >= 4
        assert upload.rows_accepted + upload.rows_rejected == upload.rows_total
        assert upload.rows_skipped >= 1  # the total row
        assert summary[slug]["accepted"] == upload.rows_accepted
        statuses = set(PurchaseLine.objects.filter(upload=upload).values_list("status", flat=True))
        assert {"on_contract", "overcharged", "off_contract", "non_gpo_vendor", "not_participating"} <= statuses
        assert PurchaseLine.objects.filter(upload=upload, quantity__lt=0).exists()
        assert summary[slug]["savings"] > 0
        assert summary[slug]["overcharge"] > 0
        # DESIGN §5: no false alarms on a clean export; every column named plainly and confirmed by its values.
        assert upload.warnings == []
        assert set(upload.column_confidence.values()) == {"exact"}

    lakeside = Practice.objects.get(slug="lakeside-radiology")
    assert {upload.file_format for upload in PurchaseUpload.objects.all()} == {"csv", "xlsx"}
    assert set(RejectedRow.objects.filter(upload__practice=lakeside).values_list("reason", flat=True)) == {
        "vendor is blank",
        "date is unreadable: 'N/A'",
        "quantity is zero",
        "unit price is unreadable: 'TBD'",
    }
    causes = set(PurchaseLine.objects.filter(status="overcharged").values_list("overcharge_cause", flat=True))
    assert {"old_price", "wrong_tier", "not_loaded"} <= causes
    assert PurchaseLine.objects.filter(vendor_match="alias").exists()
    assert PurchaseLine.objects.filter(uom="EA", item__units_per_uom__gt=1, status="on_contract").exists()

    client = api_client_for(make_member(Role.FINANCE, lakeside))
    response = client.get("/api/savings/", {"practice": lakeside.slug})
    assert response.status_code == 200
    assert Decimal(response.json()["savings"]) == summary["lakeside-radiology"]["savings"]
    assert Decimal(response.json()["overcharge"]) == summary["lakeside-radiology"]["overcharge"]
    assert Decimal(response.json()["savings"]) > 0

    lines = PurchaseLine.objects.count()
    again = seed_purchases(today=TODAY)

    assert PurchaseUpload.objects.count() == len(slugs)
    assert PurchaseLine.objects.count() == lines
    assert not any(row["created"] for row in again.values())
