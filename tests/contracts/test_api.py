"""`/api/contracts/`: the caller's tier price only; coalition admins write, everyone else reads (DESIGN §7)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.models import CatalogChange, Contract, ContractItem
from gpo.members.models import Practice, Role
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiered_contract(practice_a: Practice) -> Contract:
    """An in-force contract whose item costs 80 (tier-blank), 70 from 10 units, 60 Gold, 65 Silver; A is Gold."""
    today = timezone.localdate()
    contract = ContractFactory(
        number="GPO-TIER", start_date=today - timedelta(days=30), end_date=today + timedelta(days=300)
    )
    item = ContractItemFactory(contract=contract, vendor_sku="00407-1413-59", list_price=Decimal("100"))
    start = today - timedelta(days=30)
    ContractPriceFactory(item=item, price=Decimal("80"), effective_from=start)
    ContractPriceFactory(item=item, price=Decimal("70"), effective_from=start, min_qty=Decimal("10"))
    ContractPriceFactory(item=item, price=Decimal("60"), effective_from=start, tier="Gold")
    ContractPriceFactory(item=item, price=Decimal("65.125"), effective_from=start, tier="Silver")
    ContractPriceFactory(
        item=item,
        price=Decimal("90"),
        effective_from=start - timedelta(days=400),
        effective_to=start - timedelta(days=1),
    )
    ParticipationFactory(practice=practice_a, contract=contract, tier="Gold", joined_on=start)
    return contract


def test_viewer_sees_own_tier_price_only(
    tiered_contract: Contract, practice_a: Practice, make_member: Callable[..., Any], api_client_for: Any
) -> None:
    viewer = make_member(Role.VIEWER, practice_a)

    response = api_client_for(viewer).get(f"/api/contracts/{tiered_contract.id}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["practice"], body["participating"], body["participation_tier"]) == ("alpha-radiology", True, "Gold")
    item = body["items"][0]
    assert item["price"] == "60.00"
    assert item["tier"] == "Gold"
    assert item["list_price"] == "100.00"
    assert item["discount_pct"] == "40.00"
    assert item["volume_breaks"] == []
    assert "65.125" not in json.dumps(body)
    assert "80.00" not in json.dumps(body)


def test_non_participating_practice_sees_tier_blank_price_and_volume_breaks(
    tiered_contract: Contract, finance_b: Any, api_client_for: Any
) -> None:
    response = api_client_for(finance_b).get(f"/api/contracts/{tiered_contract.id}/")

    contract = response.json()
    assert (contract["practice"], contract["participating"], contract["joined_on"]) == ("beta-imaging", False, None)
    item = contract["items"][0]
    assert (item["price"], item["tier"], item["discount_pct"]) == ("80.00", "", "20.00")
    assert item["volume_breaks"] == [{"min_qty": "10", "price": "70.00"}]


def test_coalition_staff_see_tier_blank_prices_and_may_pick_a_practice(
    tiered_contract: Contract, coalition_admin: Any, api_client_for: Any
) -> None:
    client = api_client_for(coalition_admin)

    plain = client.get(f"/api/contracts/{tiered_contract.id}/").json()
    as_alpha = client.get(f"/api/contracts/{tiered_contract.id}/?practice=alpha-radiology").json()

    assert (plain["practice"], plain["items"][0]["price"]) == (None, "80.00")
    assert (as_alpha["practice"], as_alpha["items"][0]["price"]) == ("alpha-radiology", "60.00")


def test_another_practice_parameter_answers_404(
    tiered_contract: Contract, finance_a: Any, practice_b: Practice, api_client_for: Any
) -> None:
    client = api_client_for(finance_a)

    assert client.get(f"/api/contracts/{tiered_contract.id}/?practice=beta-imaging").status_code == 404
    assert client.get("/api/contracts/?practice=beta-imaging").status_code == 404
    assert client.get("/api/contracts/?practice=no-such-practice").status_code == 404


def test_contract_not_in_force_shows_no_price(finance_a: Any, api_client_for: Any) -> None:
    today = timezone.localdate()
    contract = ContractFactory(start_date=today - timedelta(days=400), end_date=today - timedelta(days=1))
    ContractPriceFactory(item__contract=contract, effective_from=today - timedelta(days=400))

    item = api_client_for(finance_a).get(f"/api/contracts/{contract.id}/").json()["items"][0]

    assert (item["price"], item["list_price"], item["discount_pct"]) == (None, "100.00", None)


def test_drafts_are_hidden_from_practices(finance_a: Any, coalition_admin: Any, api_client_for: Any) -> None:
    draft = ContractFactory(status=Contract.Status.DRAFT)

    assert api_client_for(finance_a).get(f"/api/contracts/{draft.id}/").status_code == 404
    assert api_client_for(coalition_admin).get(f"/api/contracts/{draft.id}/").status_code == 200


def test_unauthenticated_request_is_refused(tiered_contract: Contract) -> None:
    assert APIClient().get("/api/contracts/").status_code == 401


def test_coalition_admin_creates_a_contract(coalition_admin: Any, api_client_for: Any) -> None:
    vendor = VendorFactory(slug="bayer")

    response = api_client_for(coalition_admin).post(
        "/api/contracts/",
        {
            "vendor": "bayer",
            "number": "GPO-NEW",
            "title": "Bayer contrast",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "discount_pct": "12.5",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["vendor"], body["discount_pct"], body["start_date"]) == (
        "GPO-NEW",
        "bayer",
        "12.5",
        "2026-01-01",
    )
    contract = Contract.objects.get(number="GPO-NEW")
    assert contract.vendor == vendor
    assert CatalogChange.objects.get().changed_by == coalition_admin


def test_invalid_contract_is_a_400_and_writes_nothing(coalition_admin: Any, api_client_for: Any) -> None:
    VendorFactory(slug="bayer")

    response = api_client_for(coalition_admin).post(
        "/api/contracts/",
        {"vendor": "bayer", "number": "X", "title": "t", "start_date": "2026-12-31", "end_date": "2026-01-01"},
        format="json",
    )

    assert response.status_code == 400
    assert "end_date" in response.json()
    assert Contract.objects.count() == 0


def test_coalition_admin_edits_a_contract(tiered_contract: Contract, coalition_admin: Any, api_client_for: Any) -> None:
    response = api_client_for(coalition_admin).patch(
        f"/api/contracts/{tiered_contract.id}/", {"title": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    audit = CatalogChange.objects.get()
    assert (audit.action, audit.detail["title"][1]) == ("updated", "Renamed")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE, Role.COALITION_EXECUTIVE])
def test_other_roles_cannot_write(
    role: str, tiered_contract: Contract, practice_a: Practice, make_member: Callable[..., Any], api_client_for: Any
) -> None:
    user = make_member(role, None if role == Role.COALITION_EXECUTIVE else practice_a)
    client = api_client_for(user)
    VendorFactory(slug="bayer")

    created = client.post(
        "/api/contracts/",
        {"vendor": "bayer", "number": "N", "title": "t", "start_date": "2026-01-01", "end_date": "2026-12-31"},
        format="json",
    )
    edited = client.patch(f"/api/contracts/{tiered_contract.id}/", {"title": "x"}, format="json")

    assert (created.status_code, edited.status_code) == (403, 403)
    assert Contract.objects.count() == 1
    assert CatalogChange.objects.count() == 0


def test_list_queries_do_not_grow_with_contracts_and_items(
    finance_a: Any, api_client_for: Any, django_assert_max_num_queries: Any, tiered_contract: Contract
) -> None:
    for _ in range(5):
        contract = ContractFactory(start_date=tiered_contract.start_date, end_date=tiered_contract.end_date)
        for _ in range(4):
            ContractPriceFactory(item__contract=contract, effective_from=tiered_contract.start_date)
    client = api_client_for(finance_a)

    with django_assert_max_num_queries(10):
        response = client.get("/api/contracts/")

    assert response.json()["count"] == 6
    assert sum(contract["item_count"] for contract in response.json()["results"]) == 21


def test_list_names_each_contracts_item_count_but_not_its_items(
    tiered_contract: Contract, finance_b: Any, api_client_for: Any
) -> None:
    listed = api_client_for(finance_b).get("/api/contracts/").json()["results"][0]
    detail = api_client_for(finance_b).get(f"/api/contracts/{tiered_contract.id}/").json()

    assert "items" not in listed
    assert listed["item_count"] == len(detail["items"]) == 1
    assert {key: value for key, value in detail.items() if key != "items"} == listed


def test_a_full_list_page_of_large_contracts_stays_under_100_kb(
    finance_a: Any, api_client_for: Any, tiered_contract: Contract
) -> None:
    # 50 contracts (a full page) of 40 items each: with items inside, such a page weighed about 1 MB.
    vendor = tiered_contract.vendor
    for number in range(50):
        contract = ContractFactory(
            vendor=vendor, start_date=tiered_contract.start_date, end_date=tiered_contract.end_date
        )
        ContractItem.objects.bulk_create(
            ContractItem(
                contract=contract,
                vendor_sku=f"SKU-{number}-{i}",
                vendor_sku_normalized=f"SKU{number}{i}",
                description="Iohexol 350 mgI/mL 100 mL " * 3,
            )
            for i in range(40)
        )

    response = api_client_for(finance_a).get("/api/contracts/")

    assert len(response.json()["results"]) == 50
    assert response.json()["results"][0]["item_count"] in {1, 40}
    assert len(response.content) < 100_000
