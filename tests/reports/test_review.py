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

    # Constant in the number of names: the grouped lines, their practices, their sample items, the vendors.
    with django_assert_max_num_queries(11):
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
            "practices": ["Alpha Radiology", "Beta Imaging"],
            "samples": ["SKU-1"],
        },
        {
            "normalized_name": "acme medicall",
            "names": ["Acme Medicall"],
            "vendor": "acme",
            "match": "fuzzy",
            "spend": "80.00",
            "lines": 1,
            "practices": ["Alpha Radiology"],
            "samples": ["SKU-1"],
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


def test_unknown_names_offer_no_preselected_vendor(queue, coalition_admin, client):
    client.force_login(coalition_admin)

    html = client.get("/coalition/vendor-review/").content.decode()

    unknown_row = html.split("AcmeCo Distrib")[1].split("</tr>")[0]
    assert '<option value="" selected>Choose a vendor…</option>' in unknown_row
    assert 'value="acme" selected' not in unknown_row
    assert "Alpha Radiology, Beta Imaging" in unknown_row


def test_a_map_without_a_vendor_chosen_maps_nothing(queue, coalition_admin, client):
    client.force_login(coalition_admin)

    response = client.post("/coalition/vendor-review/", {"name": "AcmeCo Distrib", "action": "map", "vendor": ""})

    assert response.status_code == 302
    assert not VendorAlias.objects.exists()


def test_bulk_map_maps_every_ticked_name(queue, coalition_admin, client):
    client.force_login(coalition_admin)

    client.post(
        "/coalition/vendor-review/",
        {"action": "bulk_map", "vendor": "acme", "names": ["AcmeCo Distrib", "Acme Medicall"]},
    )

    assert set(VendorAlias.objects.values_list("normalized_name", flat=True)) == {"acmeco distrib", "acme medicall"}
    assert not PurchaseLine.objects.filter(vendor__isnull=True).exists()
    assert client.get("/coalition/vendor-review/").context["entries"] == []


def test_bulk_mark_non_gpo_is_all_or_nothing(queue, coalition_admin, client):
    client.force_login(coalition_admin)

    # "Acme Medical" is a vendor's own name: the whole batch is refused.
    client.post("/coalition/vendor-review/", {"action": "bulk_non_gpo", "names": ["AcmeCo Distrib", "Acme Medical"]})

    assert not NonGpoVendorName.objects.exists()


def test_create_vendor_from_a_name_resolves_its_lines(queue, coalition_admin, client):
    client.force_login(coalition_admin)

    client.post(
        "/coalition/vendor-review/",
        {"action": "create_vendor", "name": "AcmeCo Distrib", "vendor_name": "AcmeCo Distribution"},
    )

    line = PurchaseLine.objects.get(id=queue["lines"]["unknown_b"].id)
    assert line.vendor is not None
    assert line.vendor.name == "AcmeCo Distribution"
    assert (line.vendor_match, line.status) == ("alias", "non_gpo_vendor")
