"""Scoping by construction (STYLE.md rule 5, SECURITY.md items 13-15): every viewset has one of the two scoped bases,
lists hold only the caller's practices, uploads for another practice are refused.

The walk of every route by every role of practice A against practice B's objects is generated from the resolver in
tests/api/test_tenancy_walk.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.viewsets import ViewSetMixin

from gpo.api import CatalogViewSet, PracticeScopedViewSet
from gpo.members.models import Role
from reports.models import PurchaseUpload
from tests.factories import PurchaseLineFactory, PurchaseUploadFactory

PRACTICE_ROLES = [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE]


def _routes(patterns: list, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _viewsets() -> set[type]:
    found = set()
    for _route, pattern in _routes(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is not None and issubclass(view_class, ViewSetMixin):
            found.add(view_class)
    return found


def test_every_viewset_has_one_of_the_two_scoped_bases():
    viewsets = _viewsets()
    assert viewsets, "the router registered no viewset"
    for viewset in viewsets:
        assert issubclass(viewset, PracticeScopedViewSet | CatalogViewSet), viewset


def test_overriding_get_queryset_is_refused_at_class_definition():
    with pytest.raises(TypeError, match="must not override get_queryset"):

        class Leaky(PracticeScopedViewSet):  # pragma: no cover - never instantiated
            def get_queryset(self):
                return PurchaseUpload.objects.all()


@pytest.fixture
def upload_b(practice_b):
    upload = PurchaseUploadFactory(practice=practice_b)
    PurchaseLineFactory(upload=upload, purchase_date=date(2026, 3, 1), spend=Decimal("10.00"))
    return upload


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_lists_contain_none_of_another_practices_ids_case(role, make_member, practice_a, upload_b, api_client_for):
    own = PurchaseUploadFactory(practice=practice_a)
    member = make_member(role, practice_a)
    ids = [row["id"] for row in api_client_for(member).get("/api/uploads/").json()["results"]]
    assert ids == [str(own.public_id)]


@pytest.mark.django_db
@pytest.mark.parametrize("role", PRACTICE_ROLES)
def test_uploading_for_another_practice_answers_404_case(role, make_member, practice_a, practice_b, api_client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    member = make_member(role, practice_a)
    file = SimpleUploadedFile("p.csv", b"Date,Vendor,SKU,Qty,Unit Price\n2026-03-01,Acme,1,1,2.00\n")
    response = api_client_for(member).post("/api/uploads/", {"file": file, "practice": practice_b.slug})
    assert response.status_code == 404
    assert not PurchaseUpload.objects.filter(practice=practice_b).exists()


@pytest.mark.django_db
def test_coalition_staff_drill_into_any_practice_dashboard(client, coalition_admin, upload_b):
    client.force_login(coalition_admin)
    response = client.get(f"/dashboard/?practice={upload_b.practice.slug}")
    assert response.status_code == 200
    assert upload_b.practice.name in response.content.decode()
