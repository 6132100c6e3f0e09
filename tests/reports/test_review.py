"""The vendor review queue: staff see unresolved and fuzzy names with spend; mapping or marking re-reconciles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gpo.members.models import Role
from reports.models import NonGpoVendorName, PurchaseLine
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
from vendors.models import VendorAlias


@pytest.fixture
def queue(practice_a, practice_b):
    vendor = VendorFactory(name="Acme Medical", slug="acme")
    contract = ContractFactory(vendor=vendor)
    item = ContractItemFactory(contract=contract, vendor_sku="SKU-1")
    ContractPriceFactory(item=item, price=Decimal("80"))
    ParticipationFactory(practice=practice_a, contract=contract)
    upload_a = PurchaseUploadFactory(practice=practice_a)
    upload_b = PurchaseUploadFactory(practice=practice_b)
    lines = {
        "unknown_a": PurchaseLineFactory(
            upload=upload_a, vendor_name="AcmeCo Distrib", sku="SKU-1", unit_price=Decimal("80")
        ),
        "unknown_b": PurchaseLineFactory(
            upload=upload_b, vendor_name="ACMECO DISTRIB.", sku="SKU-1", quantity=Decimal("2"), unit_price=Decimal("80")
        ),
        "fuzzy": PurchaseLineFactory(
            upload=upload_a, vendor_name="Acme Medicall", sku="SKU-1", unit_price=Decimal("80")
        ),
        "exact": PurchaseLineFactory(
            upload=upload_a, vendor_name="Acme Medical", sku="SKU-1", unit_price=Decimal("80")
        ),
    }
    lines_reconcile(queryset=PurchaseLine.objects.all())
    return {"vendor": vendor, "lines": lines}


def test_staff_list_shows_unresolved_and_fuzzy_names_with_spend(
    queue, make_member, api_client_for, django_assert_max_num_queries
):
    staff = make_member(Role.COALITION_ADMIN)

    with django_assert_max_num_queries(9):
        response = api_client_for(staff).get("/api/vendor-review/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "normalized_name": "acmeco distrib",
            "names": ["ACMECO DISTRIB.", "AcmeCo Distrib"],
            "vendor": None,
            "match": "",
            "spend": "240.00",
            "lines": 2,
        },
        {
            "normalized_name": "acme medicall",
            "names": ["Acme Medicall"],
            "vendor": "acme",
            "match": "fuzzy",
            "spend": "80.00",
            "lines": 1,
        },
    ]


@pytest.mark.parametrize("_case", ["api_list", "api_map", "page"])
def test_practice_users_get_403(queue, finance_a, api_client_for, client, _case):
    if _case == "page":
        client.force_login(finance_a)
        response = client.get("/coalition/vendor-review/")
    elif _case == "api_list":
        response = api_client_for(finance_a).get("/api/vendor-review/")
    else:
        response = api_client_for(finance_a).post(
            "/api/vendor-review/map/", {"name": "AcmeCo Distrib", "vendor": "acme"}
        )

    assert response.status_code == 403
    assert not VendorAlias.objects.exists()


def test_mapping_creates_alias_and_re_reconciles_lines_of_every_practice(queue, coalition_admin, api_client_for):
    response = api_client_for(coalition_admin).post(
        "/api/vendor-review/map/", {"name": "AcmeCo Distrib", "vendor": "acme"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"normalized_name": "acmeco distrib", "vendor": "acme", "lines_reconciled": 2}
    alias = VendorAlias.objects.get()
    assert (alias.vendor_id, alias.normalized_name) == (queue["vendor"].id, "acmeco distrib")
    mine, theirs = (PurchaseLine.objects.get(id=queue["lines"][k].id) for k in ("unknown_a", "unknown_b"))
    assert (mine.status, mine.vendor_match, mine.vendor_id) == ("on_contract", "alias", queue["vendor"].id)
    assert (theirs.status, theirs.vendor_id) == ("not_participating", queue["vendor"].id)


def test_marking_non_gpo_unresolves_a_fuzzy_name(queue, coalition_admin, client):
    client.force_login(coalition_admin)

    response = client.post("/coalition/vendor-review/", {"name": "Acme Medicall", "action": "non_gpo"})

    assert response.status_code == 302
    assert NonGpoVendorName.objects.get().normalized_name == "acme medicall"
    line = PurchaseLine.objects.get(id=queue["lines"]["fuzzy"].id)
    assert (line.status, line.vendor_id, line.vendor_match) == ("non_gpo_vendor", None, "")
    page = client.get("/coalition/vendor-review/")
    assert page.status_code == 200
    assert [e.normalized_name for e in page.context["entries"]] == ["acmeco distrib"]


def test_coalition_executive_may_neither_read_nor_map_the_queue(queue, make_member, client):
    # DESIGN §3: vendor review is a catalog write, for coalition admins only.
    client.force_login(make_member(Role.COALITION_EXECUTIVE))

    assert client.get("/coalition/vendor-review/").status_code == 403
    assert client.post("/coalition/vendor-review/", {"name": "AcmeCo Distrib", "vendor": "acme"}).status_code == 403
    assert not VendorAlias.objects.exists()
