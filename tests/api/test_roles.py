"""The role table of DESIGN.md section 3 on every page and API route, for every role.

Each route names the right it needs. A role without that right gets 403 for its own practice's objects (and for
coalition-wide pages); every practice role gets 404 for another practice's objects, whatever its rights. The
expected rights are read from DESIGN §3 here, independently of `gpo.members.rights`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from gpo.members.models import Practice, Role
from gpo.members.rights import Right
from reports.models import OverchargeClaim, PurchaseUpload, RejectedRow
from tests.factories import ContractFactory, PurchaseLineFactory, PurchaseUploadFactory, VendorFactory
from tests.reports.upload_samples import csv_upload

# DESIGN §3, row by row: what each role holds (practice roles in their own practice, coalition roles everywhere).
TABLE: dict[str, set[Right]] = {
    Role.VIEWER: {Right.CATALOG},
    Role.FINANCE: {Right.CATALOG, Right.UPLOADS, Right.FIGURES, Right.CLAIMS},
    Role.EXECUTIVE: {Right.CATALOG, Right.FIGURES, Right.BILLING_VIEW, Right.BILLING_PAY},
    Role.COALITION_EXECUTIVE: {Right.CATALOG, Right.FIGURES, Right.BILLING_VIEW},
    Role.COALITION_ADMIN: set(Right),
}
PRACTICE_ROLES = (Role.VIEWER, Role.FINANCE, Role.EXECUTIVE)
COALITION_ROLES = (Role.COALITION_EXECUTIVE, Role.COALITION_ADMIN)


@dataclass(frozen=True)
class Route:
    """One page or API route: method, path template, the right it needs, and whether it names a practice's object."""

    method: str
    template: str
    right: Right
    data: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda objects: {})
    api: bool = False
    # "object": the path names one of a practice's objects; "own": the shared catalog or the caller's current
    # practice (no 404 case); "coalition": every practice at once, a right only coalition roles hold there.
    scope: str = "object"


def _upload_form(objects: dict[str, Any]) -> dict[str, Any]:
    return {"file": csv_upload(name=f"role-{objects['practice'].slug}.csv"), "practice": objects["practice"].slug}


ROUTES = [
    # catalog: everyone
    Route("get", "/catalog/", Right.CATALOG, scope="own"),
    Route("get", "/catalog/vendors/{vendor}/", Right.CATALOG, scope="own"),
    Route("get", "/catalog/contracts/{contract}/", Right.CATALOG, scope="own"),
    Route("get", "/api/vendors/", Right.CATALOG, api=True, scope="own"),
    Route("get", "/api/contracts/", Right.CATALOG, api=True, scope="own"),
    Route("get", "/api/contracts/{contract}/", Right.CATALOG, api=True, scope="own"),
    # uploads: create, delete, rejected rows
    Route("post", "/uploads/preview", Right.UPLOADS, data=_upload_form),
    Route("post", "/uploads/{upload}/delete", Right.UPLOADS),
    Route("post", "/api/uploads/", Right.UPLOADS, data=_upload_form, api=True),
    Route("delete", "/api/uploads/{upload}/", Right.UPLOADS, api=True),
    Route("get", "/api/uploads/{upload}/rejected.xlsx/", Right.UPLOADS, api=True),
    # lines, savings, dashboards, exports
    Route("get", "/uploads/", Right.FIGURES, scope="own"),
    Route("get", "/uploads/{upload}/", Right.FIGURES),
    Route("get", "/uploads/{upload}/?format=xlsx", Right.FIGURES),
    Route("get", "/dashboard/?practice={practice}", Right.FIGURES),
    Route("get", "/dashboard/?practice={practice}&format=xlsx", Right.FIGURES),
    Route("get", "/api/uploads/", Right.FIGURES, api=True, scope="own"),
    Route("get", "/api/uploads/{upload}/", Right.FIGURES, api=True),
    Route("get", "/api/uploads/{upload}/lines/", Right.FIGURES, api=True),
    Route("get", "/api/savings/?practice={practice}", Right.FIGURES, api=True),
    Route("get", "/api/lines/?practice={practice}", Right.FIGURES, api=True),
    Route("get", "/api/lines/", Right.FIGURES, api=True, scope="own"),
    Route("get", "/lines/", Right.FIGURES, scope="own"),
    Route("get", "/lines/?practice={practice}", Right.FIGURES),
    Route("get", "/lines/?practice={practice}&format=xlsx", Right.FIGURES),
    Route("get", "/lines/?practice={practice}&format=csv", Right.FIGURES),
    Route("get", "/coalition/", Right.FIGURES, scope="coalition"),
    Route("get", "/coalition/?format=xlsx", Right.FIGURES, scope="coalition"),
    # overcharge claims: read with the figures, file and update with the claims right
    Route("get", "/claims/?practice={practice}", Right.FIGURES),
    Route("get", "/claims/{claim}/", Right.FIGURES),
    Route("get", "/claims/{claim}/workbook.xlsx", Right.FIGURES),
    Route("post", "/claims/{claim}/status", Right.CLAIMS, data=lambda objects: {"status": "sent"}),
    Route("post", "/claims/new", Right.CLAIMS, data=lambda objects: {"practice": objects["practice"].slug}),
    Route("get", "/api/claims/", Right.FIGURES, api=True, scope="own"),
    # anonymous peer price benchmark: the practice's own prices paid, so a figures right
    Route("get", "/api/benchmarks/?contract={contract}", Right.FIGURES, api=True, scope="own"),
    Route("get", "/benchmarks/contract/{contract}/", Right.FIGURES, scope="own"),
    Route("get", "/api/claims/{claim}/", Right.FIGURES, api=True),
    Route("get", "/api/claims/{claim}/workbook.xlsx/", Right.FIGURES, api=True),
    Route("get", "/api/claims/candidates/?practice={practice}", Right.FIGURES, api=True),
    Route("post", "/api/claims/{claim}/status/", Right.CLAIMS, data=lambda objects: {"status": "sent"}, api=True),
    Route("post", "/api/claims/", Right.CLAIMS, data=lambda objects: {"practice": objects["practice"].slug}, api=True),
    # billing page
    Route("get", "/billing/", Right.BILLING_VIEW, scope="own"),
    # catalog writes: vendor review
    Route("get", "/coalition/vendor-review/", Right.CATALOG_WRITE, scope="coalition"),
    Route("get", "/api/vendor-review/", Right.CATALOG_WRITE, api=True, scope="coalition"),
]


def _practice_objects(practice: Practice) -> dict[str, Any]:
    """A done upload of the practice with one line and one rejected row."""
    upload = PurchaseUploadFactory(practice=practice, rows_total=2, rows_accepted=1, rows_rejected=1)
    PurchaseLineFactory(upload=upload, purchase_date=date(2026, 3, 1), spend=Decimal("10.00"), status="on_contract")
    RejectedRow.objects.create(upload=upload, row_number=3, column="Date", reason="The date is missing.", values=["x"])
    claim = OverchargeClaim.objects.create(
        practice=practice,
        vendor=VendorFactory(slug="claimed-vendor"),
        amount_claimed=Decimal("5.00"),
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 1),
    )
    return {"practice": practice, "upload": upload, "claim": claim}


@pytest.fixture
def catalog() -> dict[str, Any]:
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    return {"vendor": vendor.slug, "contract": ContractFactory(vendor=vendor).pk}


def _client_for(user: Any, route: Route, api_client_for: Callable[[Any], Any]) -> Any:
    if route.api:
        return api_client_for(user)
    client = Client()
    client.force_login(user)
    return client


def _call(route: Route, client: Any, objects: dict[str, Any], catalog: dict[str, Any]) -> Any:
    path = route.template.format(
        upload=objects["upload"].public_id,
        practice=objects["practice"].slug,
        claim=objects["claim"].public_id,
        **catalog,
    )
    data = route.data(objects)
    if route.api and route.method == "post":
        return client.post(path, data, format="multipart")
    return getattr(client, route.method)(path, data) if data else getattr(client, route.method)(path)


def _member(make_member: Callable[..., Any], role: str, practice: Practice) -> Any:
    return make_member(role, practice if role in PRACTICE_ROLES else None)


def _holds(role: str, route: Route) -> bool:
    """Whether the role holds the route's right where the route applies (coalition-wide: coalition roles only)."""
    if route.scope == "coalition" and role in PRACTICE_ROLES:
        return False
    return route.right in TABLE[role]


CASES = [(role, route) for role in TABLE for route in ROUTES]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "route"), CASES, ids=[f"{role}-{r.method}-{r.template}" for role, r in CASES])
def test_own_practice_route_answers_by_the_role_table_case(
    role: str, route: Route, make_member, practice_a, catalog, api_client_for
):
    objects = _practice_objects(practice_a)
    user = _member(make_member, role, practice_a)

    response = _call(route, _client_for(user, route, api_client_for), objects, catalog)

    if _holds(role, route):
        assert response.status_code not in {403, 404}, f"{role} should reach {route.template}"
        assert response.status_code < 500
    else:
        assert response.status_code == 403, f"{role} {route.method} {route.template} -> {response.status_code}"
        assert PurchaseUpload.objects.filter(id=objects["upload"].id).exists()


OBJECT_CASES = [(role, route) for role in PRACTICE_ROLES for route in ROUTES if route.scope == "object"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "route"), OBJECT_CASES, ids=[f"{role}-{r.method}-{r.template}" for role, r in OBJECT_CASES]
)
def test_another_practices_object_answers_404_whatever_the_right_case(
    role: str, route: Route, make_member, practice_a, practice_b, catalog, api_client_for
):
    theirs = _practice_objects(practice_b)
    user = _member(make_member, role, practice_a)

    response = _call(route, _client_for(user, route, api_client_for), theirs, catalog)

    assert response.status_code == 404, f"{role} {route.method} {route.template} -> {response.status_code}"
    assert PurchaseUpload.objects.filter(practice=practice_b).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", COALITION_ROLES)
def test_coalition_roles_reach_any_practices_objects_by_their_rights_case(
    role: str, make_member, practice_b, catalog, api_client_for
):
    theirs = _practice_objects(practice_b)
    user = make_member(role)

    statuses = {
        route.template: _call(route, _client_for(user, route, api_client_for), theirs, catalog).status_code
        for route in ROUTES
        if route.scope == "object" and route.method == "get"
    }

    expected = {
        route.template: route.right in TABLE[role]
        for route in ROUTES
        if route.scope == "object" and route.method == "get"
    }
    assert {t: s not in {403, 404} for t, s in statuses.items()} == expected


@pytest.mark.django_db
def test_executive_reads_an_upload_without_its_rejected_rows(make_member, practice_a, api_client_for):
    objects = _practice_objects(practice_a)
    executive = make_member(Role.EXECUTIVE, practice_a)
    finance = make_member(Role.FINANCE, practice_a)

    as_executive = api_client_for(executive).get(f"/api/uploads/{objects['upload'].public_id}/").json()
    as_finance = api_client_for(finance).get(f"/api/uploads/{objects['upload'].public_id}/").json()

    assert as_executive["rejected"] is None
    assert as_finance["rejected"] == [{"row": 3, "column": "Date", "reason": "The date is missing."}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.VIEWER, "/catalog/"),
        (Role.FINANCE, "/dashboard/"),
        (Role.EXECUTIVE, "/dashboard/"),
        (Role.COALITION_EXECUTIVE, "/coalition/"),
        (Role.COALITION_ADMIN, "/coalition/"),
    ],
)
def test_start_page_follows_the_role_case(role: str, landing: str, make_member, practice_a):
    client = Client()
    client.force_login(_member(make_member, role, practice_a))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == landing
    assert client.get(landing).status_code == 200


@pytest.mark.django_db
def test_viewer_header_offers_no_financial_pages(make_member, practice_a):
    client = Client()
    client.force_login(make_member(Role.VIEWER, practice_a))

    nav = client.get("/catalog/").content.decode().split('aria-label="Main"')[1].split("</nav>")[0]

    assert 'href="/catalog/"' in nav
    for hidden in ('href="/uploads/"', 'href="/dashboard/"', 'href="/coalition/"', 'href="/billing/"'):
        assert hidden not in nav
