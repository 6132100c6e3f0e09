"""Catalog pages: search, contract page with the viewer's tier price, renewals for staff only, exports."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from contracts.models import Contract
from gpo.members.models import Role
from tests.factories import (
    CategoryFactory,
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorAliasFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def tiered_contract(today, practice_a, practice_b):
    """A contract in force today with Tier 1/Tier 2 prices; practice A in Tier 1, practice B in Tier 2."""
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    contract = ContractFactory(
        vendor=vendor,
        number="GPO-CM-001",
        title="Iodinated contrast media",
        start_date=today - timedelta(days=100),
        end_date=today + timedelta(days=200),
    )
    item = ContractItemFactory(
        contract=contract,
        vendor_sku="ISO-370-100",
        mfr_part_number="0270-1316-30",
        description="Isovue-370 iopamidol 100 mL bottle",
        list_price=Decimal("120.0000"),
    )
    ContractPriceFactory(item=item, tier="Tier 1", price=Decimal("81.2300"), effective_from=today - timedelta(days=100))
    ContractPriceFactory(item=item, tier="Tier 2", price=Decimal("93.4500"), effective_from=today - timedelta(days=100))
    ParticipationFactory(practice=practice_a, contract=contract, tier="Tier 1", joined_on=today - timedelta(days=50))
    ParticipationFactory(practice=practice_b, contract=contract, tier="Tier 2", joined_on=today - timedelta(days=50))
    return contract


@pytest.mark.parametrize(
    "role_case", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE, Role.COALITION_ADMIN, Role.COALITION_EXECUTIVE]
)
def test_catalog_pages_render_for_every_role(client, make_member, practice_a, tiered_contract, role_case):
    practice = practice_a if role_case in {Role.VIEWER, Role.FINANCE, Role.EXECUTIVE} else None
    client.force_login(make_member(role_case, practice))

    for url in [
        "/catalog/",
        "/catalog/?q=isovue",
        f"/catalog/contracts/{tiered_contract.pk}/",
        "/catalog/vendors/bracco/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_catalog_requires_sign_in(client):
    assert client.get("/catalog/").status_code == 302


def test_search_finds_vendor_by_alias_as_ap_exports_spell_it(client, finance_a):
    vendor = VendorFactory(name="GE Healthcare", slug="ge-healthcare")
    VendorAliasFactory(vendor=vendor, name="GE HEALTHCARE INC.")
    VendorFactory(name="Bayer HealthCare", slug="bayer")
    client.force_login(finance_a)

    response = client.get("/catalog/", {"q": "ge healthcare, inc"})

    assert [v.slug for v, _ in response.context["vendor_cards"]] == ["ge-healthcare"]


def test_search_finds_items_by_description(client, finance_a, tiered_contract):
    ContractItemFactory(contract=tiered_contract, vendor_sku="OTHER-1", description="Power injector syringe kit")
    client.force_login(finance_a)

    response = client.get("/catalog/", {"q": "iopamidol"})

    assert [item.vendor_sku for item in response.context["item_page"].object_list] == ["ISO-370-100"]
    assert [v.slug for v, _ in response.context["vendor_cards"]] == ["bracco"]


def test_search_finds_items_by_manufacturer_part_number_in_any_spelling(client, finance_a, tiered_contract):
    client.force_login(finance_a)

    response = client.get("/catalog/", {"q": "270 1316"})

    assert [item.vendor_sku for item in response.context["item_page"].object_list] == ["ISO-370-100"]


def test_search_finds_contract_by_title(client, finance_a, tiered_contract):
    client.force_login(finance_a)

    response = client.get("/catalog/", {"q": "iodinated"})

    assert response.context["contracts"] == [tiered_contract]


def test_draft_contracts_are_hidden_from_members(client, finance_a, today):
    draft: Contract = ContractFactory(  # type: ignore[assignment]
        title="Draft linen deal", status=Contract.Status.DRAFT, start_date=today, end_date=today
    )
    client.force_login(finance_a)

    assert client.get("/catalog/", {"q": "linen"}).context["contracts"] == []
    assert client.get(f"/catalog/contracts/{draft.pk}/").status_code == 404


def test_category_filter_includes_child_categories(client, finance_a):
    contrast = CategoryFactory(name="Contrast media", slug="contrast-media")
    iodinated = CategoryFactory(name="Iodinated", slug="iodinated", parent=contrast)
    linens = CategoryFactory(name="Linens", slug="linens")
    VendorFactory(name="Guerbet", slug="guerbet", category=iodinated)
    VendorFactory(name="Medline Linen", slug="medline", category=linens)
    client.force_login(finance_a)

    response = client.get("/catalog/", {"category": "contrast-media"})

    assert [v.slug for v, _ in response.context["vendor_cards"]] == ["guerbet"]
    assert "Iodinated" in response.content.decode()


def test_vendor_card_shows_contracts_in_force_and_best_discount(client, finance_a, tiered_contract):
    client.force_login(finance_a)

    response = client.get("/catalog/")

    ((_, highlight),) = response.context["vendor_cards"]
    assert highlight.contracts_in_force == 1
    # best: Tier 1 81.23 vs list 120 = 32.3 % off
    assert highlight.best_discount_pct == Decimal("32.3")


def test_contract_page_shows_viewer_tier_price_and_not_another_tier(client, make_member, practice_a, tiered_contract):
    client.force_login(make_member(Role.VIEWER, practice_a))

    response = client.get(f"/catalog/contracts/{tiered_contract.pk}/")

    html = response.content.decode()
    (view,) = response.context["price_views"]
    assert view.price == Decimal("81.2300")
    assert view.discount_pct == Decimal("32.3")
    assert "$81.23" in html
    assert "93.45" not in html
    assert "Tier 1" in html


def test_contract_page_of_other_practice_shows_its_tier(client, finance_b, tiered_contract):
    client.force_login(finance_b)

    response = client.get(f"/catalog/contracts/{tiered_contract.pk}/")

    assert response.context["price_views"][0].price == Decimal("93.4500")
    assert "81.23" not in response.content.decode()


def test_contract_page_for_another_practice_answers_404(client, finance_a, practice_b, tiered_contract):
    client.force_login(finance_a)

    assert client.get(f"/catalog/contracts/{tiered_contract.pk}/", {"practice": practice_b.slug}).status_code == 404


def test_staff_without_practice_see_every_tier(client, coalition_admin, tiered_contract):
    client.force_login(coalition_admin)

    response = client.get(f"/catalog/contracts/{tiered_contract.pk}/")

    assert response.context["price_views"][0].tier_prices == [
        ("Tier 1", Decimal("81.2300")),
        ("Tier 2", Decimal("93.4500")),
    ]


def test_non_participant_sees_tier_blank_price_on_joining_and_how_to_join(client, make_member, today):
    from tests.factories import PracticeFactory

    outsider = PracticeFactory(slug="outsider")
    contract: Contract = ContractFactory(  # type: ignore[assignment]
        start_date=today - timedelta(days=10), end_date=today + timedelta(days=10)
    )
    item = ContractItemFactory(contract=contract, list_price=Decimal("50.0000"))
    ContractPriceFactory(item=item, price=Decimal("40.0000"), effective_from=today - timedelta(days=10))
    ContractPriceFactory(item=item, price=Decimal("35.0000"), min_qty=Decimal("10"), effective_from=today)
    client.force_login(make_member(Role.VIEWER, outsider))

    response = client.get(f"/catalog/contracts/{contract.pk}/")

    (view,) = response.context["price_views"]
    assert (view.price, view.basis) == (Decimal("40.0000"), "on joining")
    assert [(b.min_qty, b.price) for b in view.volume_breaks] == [(Decimal("10"), Decimal("35.0000"))]
    assert "How to join" in response.content.decode()
    assert response.context["participation"] is None


def test_price_history_lists_old_and_current_windows_of_viewer_tier_only(client, finance_a, tiered_contract, today):
    item = tiered_contract.items.get()
    ContractPriceFactory(
        item=item,
        tier="Tier 1",
        price=Decimal("85.0000"),
        effective_from=today - timedelta(days=400),
        effective_to=today - timedelta(days=101),
    )
    client.force_login(finance_a)

    response = client.get(f"/catalog/contracts/{tiered_contract.pk}/")

    history = response.context["price_views"][0].history
    assert [(row.tier, row.price) for row in history] == [
        ("Tier 1", Decimal("81.2300")),
        ("Tier 1", Decimal("85.0000")),
    ]


def test_contract_page_queries_do_not_grow_with_items(
    client, finance_a, tiered_contract, django_assert_max_num_queries
):
    for n in range(30):
        item = ContractItemFactory(contract=tiered_contract, vendor_sku=f"X-{n}")
        ContractPriceFactory(item=item, tier="Tier 1")
    client.force_login(finance_a)

    with django_assert_max_num_queries(14):
        client.get(f"/catalog/contracts/{tiered_contract.pk}/")


def test_catalog_home_queries_do_not_grow_with_vendors(client, finance_a, django_assert_max_num_queries):
    for n in range(20):
        ContractFactory(vendor=VendorFactory(name=f"Vendor {n}", slug=f"v{n}"))
    client.force_login(finance_a)

    # 17: the catalog version read that lets the vendor cards' highlights come from the cache (issue 16).
    with django_assert_max_num_queries(17):
        client.get("/catalog/", {"q": "vendor"})


def test_contract_page_exports_items_with_viewer_price(client, finance_a, tiered_contract):
    client.force_login(finance_a)

    response = client.get(f"/catalog/contracts/{tiered_contract.pk}/", {"format": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][7] == "Your price today"
    assert rows[1][0] == "ISO-370-100"
    assert rows[1][7] == pytest.approx(81.23)
    assert len(rows) == 2


def test_catalog_export_has_no_formula_cells(client, finance_a, tiered_contract):
    ContractItemFactory(contract=tiered_contract, vendor_sku="EVIL", description='=HYPERLINK("http://x","iopamidol")')
    client.force_login(finance_a)

    response = client.get("/catalog/", {"q": "iopamidol", "format": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell for cell in cells if cell.data_type == "f"] == []
    assert '\'=HYPERLINK("http://x","iopamidol")' in [cell.value for cell in cells]


@pytest.mark.parametrize("role_case", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_renewals_calendar_is_forbidden_to_practice_roles(client, make_member, practice_a, role_case):
    client.force_login(make_member(role_case, practice_a))

    assert client.get("/catalog/renewals/").status_code == 403
    assert client.get("/catalog/renewals/", {"format": "xlsx"}).status_code == 403


@pytest.mark.parametrize("role_case", [Role.COALITION_ADMIN, Role.COALITION_EXECUTIVE])
def test_renewals_calendar_lists_contracts_inside_their_notice(client, make_member, today, role_case):
    ContractFactory(
        number="DUE",
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=60),
        renewal_notice_days=90,
    )
    later = ContractFactory(
        number="LATER", start_date=today - timedelta(days=300), end_date=today + timedelta(days=200)
    )
    ContractFactory(number="GONE", start_date=today - timedelta(days=300), end_date=today - timedelta(days=1))
    ContractFactory(number="FAR", start_date=today, end_date=today + timedelta(days=800))
    client.force_login(make_member(role_case))

    response = client.get("/catalog/renewals/")

    calendar = response.context["calendar"]
    assert [c.number for c in calendar.due_now] == ["DUE"]
    assert [c.number for month in calendar.months for c in month.contracts] == ["DUE", "LATER"]
    assert later.number in response.content.decode()


def test_contract_found_by_number_redirects_to_its_page(client, finance_a, tiered_contract):
    client.force_login(finance_a)

    response = client.get("/catalog/contracts/number/GPO-CM-001/")

    assert (response.status_code, response["Location"]) == (302, f"/catalog/contracts/{tiered_contract.pk}/")
    assert client.get("/catalog/contracts/number/NOPE/").status_code == 404


def test_vendor_cards_are_paginated(client, finance_a):
    for n in range(30):
        VendorFactory(name=f"Vendor {n:02d}", slug=f"vendor-{n:02d}")
    client.force_login(finance_a)

    second = client.get("/catalog/", {"vendor_page": 2})

    assert [v.name for v, _ in second.context["vendor_cards"]] == [f"Vendor {n:02d}" for n in range(24, 30)]
