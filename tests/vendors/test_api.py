"""`/api/vendors/`: search by name, alias or description; category includes descendants; admins write."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from contracts.models import Contract
from gpo.members.models import Role
from tests.factories import CategoryFactory, ContractFactory, VendorAliasFactory, VendorFactory
from vendors.models import Vendor, VendorAlias

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> dict[str, Vendor]:
    contrast = CategoryFactory(name="Contrast media", slug="contrast-media")
    iodinated = CategoryFactory(name="Iodinated", slug="iodinated", parent=contrast)
    office = CategoryFactory(name="Office", slug="office")
    ge = VendorFactory(name="GE Healthcare", slug="ge-healthcare", category=iodinated, description="Omnipaque")
    VendorAliasFactory(vendor=ge, name="GE Medical Systems")
    bayer = VendorFactory(name="Bayer", slug="bayer", category=contrast, description="Ultravist and injectors")
    staples = VendorFactory(name="Staples", slug="staples", category=office)
    ContractFactory(vendor=ge)
    ContractFactory(vendor=ge)
    ContractFactory(vendor=ge, status=Contract.Status.DRAFT)
    return {"ge": ge, "bayer": bayer, "staples": staples}


def slugs(response: Any) -> list[str]:
    return [vendor["slug"] for vendor in response.json()["results"]]


def test_list_shows_every_vendor_with_aliases_and_contract_count(
    catalog: dict[str, Vendor], finance_a: Any, api_client_for: Any
) -> None:
    response = api_client_for(finance_a).get("/api/vendors/")

    assert response.status_code == 200
    assert slugs(response) == ["bayer", "ge-healthcare", "staples"]
    ge = response.json()["results"][1]
    assert ge["aliases"] == ["GE Medical Systems"]
    assert ge["contract_count"] == 2
    assert ge["category"] == {
        "slug": "iodinated",
        "name": "Iodinated",
        "path": "Contrast media > Iodinated",
        "unspsc_code": "",
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("bayer", ["bayer"], id="name_case"),
        pytest.param("medical systems", ["ge-healthcare"], id="alias_case"),
        pytest.param("GE HEALTHCARE, INC.", ["ge-healthcare"], id="normalised_name_case"),
        pytest.param("injectors", ["bayer"], id="description_case"),
        pytest.param("nothing like it", [], id="no_match_case"),
    ],
)
def test_search_matches_name_alias_or_description(
    search: str, expected: list[str], catalog: dict[str, Vendor], finance_a: Any, api_client_for: Any
) -> None:
    response = api_client_for(finance_a).get("/api/vendors/", {"search": search})

    assert slugs(response) == expected


def test_category_filter_includes_descendants(catalog: dict[str, Vendor], finance_a: Any, api_client_for: Any) -> None:
    client = api_client_for(finance_a)

    assert slugs(client.get("/api/vendors/", {"category": "contrast-media"})) == ["bayer", "ge-healthcare"]
    assert slugs(client.get("/api/vendors/", {"category": "iodinated"})) == ["ge-healthcare"]
    assert slugs(client.get("/api/vendors/", {"category": "unknown"})) == []


def test_retrieve_by_id(catalog: dict[str, Vendor], finance_a: Any, api_client_for: Any) -> None:
    response = api_client_for(finance_a).get(f"/api/vendors/{catalog['ge'].id}/")

    assert (response.status_code, response.json()["name"]) == (200, "GE Healthcare")


def test_list_queries_are_bounded(
    catalog: dict[str, Vendor], finance_a: Any, api_client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(10):
        VendorAliasFactory(vendor=VendorFactory(name=f"Extra {index}", slug=f"extra-{index}"))
    client = api_client_for(finance_a)

    with django_assert_max_num_queries(7):
        response = client.get("/api/vendors/")

    assert response.json()["count"] == 13


def test_unauthenticated_is_refused(catalog: dict[str, Vendor]) -> None:
    assert APIClient().get("/api/vendors/").status_code == 401


def test_coalition_admin_creates_vendor_with_aliases(coalition_admin: Any, api_client_for: Any) -> None:
    CategoryFactory(name="Courier", slug="courier")

    response = api_client_for(coalition_admin).post(
        "/api/vendors/",
        {"name": "Acme Courier, Inc.", "category": "courier", "aliases": ["ACME COURIER SVCS"]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["aliases"], body["category"]["slug"]) == (
        "acme-courier-inc",
        ["ACME COURIER SVCS"],
        "courier",
    )
    assert Vendor.objects.get().normalized_name == "acme courier"


def test_alias_of_another_vendor_is_a_400_and_writes_nothing(
    catalog: dict[str, Vendor], coalition_admin: Any, api_client_for: Any
) -> None:
    response = api_client_for(coalition_admin).patch(
        f"/api/vendors/{catalog['bayer'].id}/", {"aliases": ["GE medical systems"]}, format="json"
    )

    assert response.status_code == 400
    assert "already belongs to vendor 'GE Healthcare'" in response.json()["name"][0]
    assert VendorAlias.objects.filter(vendor=catalog["bayer"]).count() == 0


def test_coalition_admin_edits_vendor(catalog: dict[str, Vendor], coalition_admin: Any, api_client_for: Any) -> None:
    response = api_client_for(coalition_admin).patch(
        f"/api/vendors/{catalog['staples'].id}/", {"website": "https://www.staples.com"}, format="json"
    )

    assert (response.status_code, response.json()["website"]) == (200, "https://www.staples.com")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_practice_roles_cannot_write(
    role: str, catalog: dict[str, Vendor], practice_a: Any, make_member: Any, api_client_for: Any
) -> None:
    client = api_client_for(make_member(role, practice_a))

    created = client.post("/api/vendors/", {"name": "New"}, format="json")
    edited = client.patch(f"/api/vendors/{catalog['bayer'].id}/", {"description": "x"}, format="json")

    assert (created.status_code, edited.status_code) == (403, 403)
    assert Vendor.objects.count() == 3
