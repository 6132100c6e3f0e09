"""Anonymous peer price benchmark: your price per each against the coalition's median and best, k-anonymous."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gpo.members.models import Membership, Role
from reports.models import PurchaseLine
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    PracticeFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def item() -> Any:
    """A box of 10 syringes."""
    return ContractItemFactory(contract=ContractFactory(number="GPO-CM-01"), uom="BX", units_per_uom=10)


def buy(practice: Any, item: Any, price: str, *, quantity: str = "1", uom: str = "BX", day: date | None = None) -> Any:
    """A counted line of the practice for the item at `price` per `uom`."""
    return PurchaseLineFactory(
        upload=PurchaseUploadFactory(practice=practice),
        item=item,
        contract=item.contract,
        status=PurchaseLine.Status.ON_CONTRACT,
        quantity=Decimal(quantity),
        uom=uom,
        unit_price=Decimal(price),
        purchase_date=day or date(2026, 3, 1),
    )


def peers(n: int) -> list[Any]:
    return [PracticeFactory(name=f"Peer {i}", slug=f"peer-{i}") for i in range(n)]


def _get(client: Any, item: Any, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"item": item.id, "year": 2026, **params}.items())
    response = client.get(f"/api/benchmarks/?{query}")
    assert response.status_code == 200, response.content
    [row] = response.json()
    return row


def test_three_other_practices_show_the_median_and_best_per_each(item, practice_a, finance_a, api_client_for):
    buy(practice_a, item, "95.00")  # 9.50 each
    for practice, price in zip(peers(3), ["80.00", "90.00", "120.00"], strict=True):
        buy(practice, item, price)

    row = _get(api_client_for(finance_a), item)

    assert row["shown"] is True
    assert (row["your_price_per_each"], row["your_each_count"]) == ("9.50", "10")
    assert (row["coalition_median_per_each"], row["coalition_best_per_each"]) == ("9.00", "8.00")


def test_two_other_practices_show_nothing_of_theirs(item, practice_a, finance_a, api_client_for):
    buy(practice_a, item, "95.00")
    for practice, price in zip(peers(2), ["80.00", "90.00"], strict=True):
        buy(practice, item, price)

    row = _get(api_client_for(finance_a), item)

    assert row["shown"] is False
    assert (row["coalition_median_per_each"], row["coalition_best_per_each"]) == (None, None)
    assert row["your_price_per_each"] == "9.50"


def test_own_practice_never_counts_as_a_peer_nor_moves_the_figures(item, practice_a, finance_a, api_client_for):
    # Two peers plus the caller's own practice: still fewer than three others.
    for practice, price in zip(peers(2), ["80.00", "90.00"], strict=True):
        buy(practice, item, price)
    buy(practice_a, item, "10.00")
    client = api_client_for(finance_a)
    assert _get(client, item)["shown"] is False

    # With a third peer, the caller's own price (however extreme) does not move what it sees: no probing.
    buy(PracticeFactory(slug="peer-x"), item, "100.00")
    before = _get(client, item)
    buy(practice_a, item, "1.00", quantity="50")
    after = _get(client, item)

    assert (before["coalition_median_per_each"], before["coalition_best_per_each"]) == ("9.00", "8.00")
    assert (after["coalition_median_per_each"], after["coalition_best_per_each"]) == ("9.00", "8.00")


def test_a_user_of_two_practices_sees_neither_as_a_peer(item, practice_a, practice_b, finance_a, api_client_for):
    # finance_a is also finance of B: B is not anonymous to them, so B is no peer and three others are needed.
    Membership.objects.create(user=finance_a, practice=practice_b, role=Role.FINANCE)
    buy(practice_b, item, "50.00")
    for practice, price in zip(peers(2), ["80.00", "90.00"], strict=True):
        buy(practice, item, price)

    row = _get(api_client_for(finance_a), item, practice=practice_a.slug)

    assert row["shown"] is False


def test_periods_are_calendar_years_so_no_two_answers_overlap(item, practice_a, finance_a, api_client_for):
    """Differencing: a late buyer in a longer window would be isolated; the benchmark takes no start and end."""
    for practice, price in zip(peers(3), ["80.00", "90.00", "120.00"], strict=True):
        buy(practice, item, price)
    late = PracticeFactory(slug="late-buyer")
    buy(late, item, "40.00", day=date(2027, 1, 15))
    client = api_client_for(finance_a)

    this_year = _get(client, item, start="2026-01-01", end="2027-01-31")
    next_year = _get(client, item, year=2027)

    # start/end are not honoured: the answer is 2026's, untouched by the 2027 buyer ...
    assert (this_year["start"], this_year["end"]) == ("2026-01-01", "2026-12-31")
    assert this_year["coalition_best_per_each"] == "8.00"
    # ... and 2027 alone has one buyer: nothing shown, so its price cannot be read.
    assert next_year["shown"] is False


def test_each_price_follows_the_uom_of_each_line(item, practice_a, finance_a, api_client_for):
    buy(practice_a, item, "9.00", quantity="20", uom="EA")  # eaches: 9.00 each
    buy(practice_a, item, "100.00", quantity="2", uom="BX")  # 20 each at 10.00

    row = _get(api_client_for(finance_a), item)

    assert (row["your_price_per_each"], row["your_each_count"]) == ("9.50", "40")


def test_no_practice_name_or_slug_appears_in_the_answer(item, practice_a, finance_a, api_client_for):
    others = peers(3)
    for practice in others:
        buy(practice, item, "90.00")

    body = api_client_for(finance_a).get(f"/api/benchmarks/?contract={item.contract_id}&year=2026").content.decode()

    assert not any(p.slug in body or p.name in body for p in others)


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (Role.EXECUTIVE, 200), (Role.FINANCE, 200)])
def test_benchmark_needs_the_figures_right_case(item, practice_a, make_member, api_client_for, role, status):
    client = api_client_for(make_member(role, practice_a))

    assert client.get(f"/api/benchmarks/?item={item.id}").status_code == status


def test_another_practices_benchmark_answers_404(item, practice_b, finance_a, api_client_for):
    response = api_client_for(finance_a).get(f"/api/benchmarks/?item={item.id}&practice={practice_b.slug}")

    assert response.status_code == 404


def test_neither_item_nor_contract_is_a_clear_400(finance_a, api_client_for):
    response = api_client_for(finance_a).get("/api/benchmarks/")

    assert response.status_code == 400
    assert "item" in response.json()


def test_contract_page_offers_the_benchmark_and_its_fragment_shows_the_figures(item, practice_a, finance_a, client):
    buy(practice_a, item, "95.00")
    for practice, price in zip(peers(3), ["80.00", "90.00", "120.00"], strict=True):
        buy(practice, item, price)
    client.force_login(finance_a)

    contract_page = client.get(f"/catalog/contracts/{item.contract_id}/").content.decode()
    fragment = client.get(f"/benchmarks/contract/{item.contract_id}/?fragment=1&year=2026").content.decode()

    assert f'data-fragment-src="/benchmarks/contract/{item.contract_id}/?fragment=1' in contract_page
    assert "$9.50" in fragment
    assert "$9.00" in fragment
    assert "$8.00" in fragment
    assert "Peer 0" not in fragment
    assert "<html" not in fragment


def test_viewer_gets_no_benchmark(item, practice_a, make_member, client):
    client.force_login(make_member(Role.VIEWER, practice_a))

    assert "data-fragment-src" not in client.get(f"/catalog/contracts/{item.contract_id}/").content.decode()
    assert client.get(f"/benchmarks/contract/{item.contract_id}/").status_code == 403
