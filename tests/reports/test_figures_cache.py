"""Cached figures (reports.figures_cache, issue 16): after every kind of write, each cached figure equals the uncached.

Each step reads the figures twice: first as a request does (from the cache warmed before the write, when the
write failed to make it unreachable), then with the cache emptied (computed afresh); and the line table's own sums
as the reference. Each step also changes the figures, so a stale cache could not pass by luck.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contracts import services as contract_services
from contracts.models import ContractItem, ContractPrice
from reports.models import PurchaseUpload
from reports.selectors.dashboards import contract_performance_list, leakage_list, practice_performance_list
from reports.selectors.savings import SavingsScope, savings_json
from reports.services.uploads import upload_create, upload_delete, upload_reprocess
from tests.factories import CategoryFactory
from tests.reports.upload_samples import ACME_ROWS, ODD_HEADER, RIGHT_HEADER, csv_rows, csv_upload
from vendors.models import Category

YEAR = "start=2026-01-01&end=2026-12-31"


def _dashboard_tables(user: Any) -> Any:
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    practices = [
        (r.practice.slug, r.figures.as_json()) for r in practice_performance_list(user=user, start=start, end=end)
    ]
    contracts = [
        (r.contract.number, r.figures.as_json(), str(r.missed_by_non_participants), str(r.admin_fee))
        for r in contract_performance_list(user=user, start=start, end=end)
    ]
    leakage = [(r.vendor_name, r.figures.as_json()) for r in leakage_list(user=user, start=start, end=end)]
    return practices, contracts, leakage


def _dashboard_page(user: Any) -> str:
    """The practice dashboard's content for the year (the header carries a per-request CSRF token)."""
    client = Client()
    client.force_login(user)
    response = client.get("/dashboard/?period=custom&start=2026-01-01&end=2026-12-31")
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _figures(api_client_for: Any, finance: Any, staff: Any) -> Any:
    """Every cached figure as a request sees it: a practice's year, the coalition's year, the dashboard tables, the
    practice dashboard page."""
    practice = api_client_for(finance).get(f"/api/savings/?practice=alpha-radiology&{YEAR}")
    coalition = api_client_for(staff).get(f"/api/savings/?{YEAR}")
    assert (practice.status_code, coalition.status_code) == (200, 200)
    return practice.json(), coalition.json(), _dashboard_tables(staff), _dashboard_page(finance)


def _line_reference(practice: Any) -> Any:
    """The practice's year summed from the line table (no summary, no cache)."""
    scope = SavingsScope(practice, [practice.id])
    return json.loads(
        json.dumps(
            savings_json(scope=scope, start=date(2026, 1, 1), end=date(2026, 12, 31), use_summary=False, cached=False)
        )
    )


@pytest.fixture
def read_both(api_client_for, finance_a, coalition_admin, practice_a):
    """Read every figure cached, then uncached (cache emptied), then check both against the line table."""

    def read() -> Any:
        cached = _figures(api_client_for, finance_a, coalition_admin)
        cache.clear()
        uncached = _figures(api_client_for, finance_a, coalition_admin)
        assert cached == uncached
        assert cached[0] == _line_reference(practice_a)
        return cached

    return read


def _upload(practice: Any, user: Any, *rows: str, header: str = RIGHT_HEADER, name: str) -> PurchaseUpload:
    upload = upload_create(practice=practice, user=user, file=csv_upload(csv_rows(*rows, header=header), name=name))
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    return upload


def test_cached_figures_equal_uncached_after_upload_reprocess_price_change_and_delete(
    acme, practice_a, practice_b, finance_a, finance_b, read_both
):
    first = _upload(practice_a, finance_a, *ACME_ROWS, name="march.csv")
    _upload(practice_b, finance_b, ACME_ROWS[0], name="beta.csv")
    after_first = read_both()
    assert after_first[0]["spend"] == "1442.00"

    # An upload: new lines for the practice.
    second = _upload(
        practice_a,
        finance_a,
        "04/01/2026,Acme Medical,AC-200,Injector syringe,2,EA,15.00,30.00,INV-950",
        name="april.csv",
    )
    after_upload = read_both()
    assert after_upload[0]["spend"] == "1472.00"

    # A reprocess: the item column was not read at first (no item matched), then it is.
    odd = _upload(
        practice_a,
        finance_a,
        "05/05/2026,Acme Medical,AC-100,Contrast 100 ml,1,EA,90.00,90.00,INV-960",
        header=ODD_HEADER,
        name="may.csv",
    )
    before_reprocess = read_both()
    upload_reprocess(upload=odd, user=finance_a, mapping={"sku": "Ref"})
    after_reprocess = read_both()
    assert after_reprocess[0]["overcharge"] != before_reprocess[0]["overcharge"]

    # A catalog price change re-reconciles the lines of every practice that bought the item.
    price = ContractPrice.objects.get(item__vendor_sku="AC-100")
    contract_services.contract_price_update(contract_price=price, price=Decimal("90.00"))
    after_price = read_both()
    assert after_price[0]["overcharge"] != after_reprocess[0]["overcharge"]
    assert after_price[1]["overcharge"] != after_reprocess[1]["overcharge"]

    # A delete takes the upload's lines out of every figure.
    upload_delete(upload=second, user=finance_a)
    after_delete = read_both()
    assert after_delete[0]["spend"] == str(Decimal(after_price[0]["spend"]) - Decimal("30.00"))
    assert first.pk  # the first upload stays


def test_a_second_read_of_the_same_figures_comes_from_the_cache(acme, practice_a, finance_a, api_client_for):
    _upload(practice_a, finance_a, *ACME_ROWS, name="march.csv")
    client = api_client_for(finance_a)
    url = f"/api/savings/?practice=alpha-radiology&{YEAR}"

    with CaptureQueriesContext(connection) as first:
        first_body = client.get(url).json()
    with CaptureQueriesContext(connection) as second:
        second_body = client.get(url).json()

    assert second_body == first_body
    summary_reads = [q["sql"] for q in second.captured_queries if "reports_savingssummary" in q["sql"]]
    assert summary_reads == []
    assert len(second) < len(first)


def test_a_renamed_vendor_shows_at_once_in_cached_figures(acme, practice_a, finance_a, api_client_for):
    _upload(practice_a, finance_a, *ACME_ROWS, name="march.csv")
    client = api_client_for(finance_a)
    url = f"/api/savings/?practice=alpha-radiology&{YEAR}"
    client.get(url)

    acme.name = "Acme Medical Holdings"
    acme.save()

    names = {row["vendor_name"] for row in client.get(url).json()["by_vendor"]}
    assert "Acme Medical Holdings" in names


def test_figures_of_a_practice_whose_lines_skipped_the_summary_are_not_cached(practice_a):
    from reports.figures_cache import scope_version
    from tests.factories import PurchaseUploadFactory

    assert scope_version([practice_a.id]) is not None  # no uploads: nothing to go stale
    PurchaseUploadFactory(practice=practice_a)

    assert scope_version([practice_a.id]) is None
    assert scope_version(None) is None


def test_a_renamed_category_shows_at_once_in_cached_figures(acme, practice_a, finance_a, api_client_for):
    supplies = Category.objects.get(pk=CategoryFactory(name="Med-surg supplies").pk)
    ContractItem.objects.filter(contract__vendor=acme).update(category=supplies)
    acme.category = supplies
    acme.save()
    _upload(practice_a, finance_a, *ACME_ROWS, name="march.csv")
    client = api_client_for(finance_a)
    url = f"/api/savings/?practice=alpha-radiology&{YEAR}"
    assert "Med-surg supplies" in {row["category_name"] for row in client.get(url).json()["by_category"]}

    supplies.name = "Renamed supplies"
    supplies.save()

    assert "Renamed supplies" in {row["category_name"] for row in client.get(url).json()["by_category"]}


def test_a_cached_savings_read_costs_three_queries(practice_a, finance_a, api_client_for):
    """Who asks (token, memberships) and one version query: the body itself comes from the cache."""
    _upload(practice_a, finance_a, *ACME_ROWS, name="march.csv")
    client = api_client_for(finance_a)
    url = f"/api/savings/?practice=alpha-radiology&{YEAR}"
    first = client.get(url).json()

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url).json()

    assert again == first
    assert len(queries) <= 3, [q["sql"][:80] for q in queries.captured_queries]
