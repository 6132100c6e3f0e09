"""The OpenAPI schema describes what the API answers (issue 15): schemathesis generates requests from /api/schema/
for every operation and checks every answer, as a practice's finance lead and as a coalition admin.

Bounded so it stays a unit test: a few examples per operation, no per-example deadline (a loaded machine is slow,
not wrong). Checks: no 5xx; status codes, content types, headers and bodies as the schema documents them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gpo.members.models import Role
from tests.factories import ContractFactory, PurchaseLineFactory, PurchaseUploadFactory, VendorFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# The coverage phase (every boundary value of every parameter: dozens of requests per operation, unbounded by
# max_examples) runs in `make schema-fuzz`; the suite keeps to the bounded random examples.
schema.config.phases.coverage.enabled = bool(os.environ.get("SCHEMA_EXAMPLES"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# `make schema-fuzz` raises the examples per operation; the suite keeps a few.
BOUNDS = settings(
    max_examples=int(os.environ.get("SCHEMA_EXAMPLES", "5")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _test_connection_kept() -> Iterator[None]:
    """The WSGI app is called directly, not through Django's test client; like that client, keep Django from closing
    the test's connection at each request's start and end (on PostgreSQL it holds the test's open transaction, and
    the next query would find it closed)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(practice_a: Any) -> None:
    """Something behind every list: a vendor, a contract, an upload with a line."""
    vendor = VendorFactory(name="Acme Medical", slug="acme-medical")
    ContractFactory(vendor=vendor)
    upload = PurchaseUploadFactory(practice=practice_a)
    PurchaseLineFactory(upload=upload, status="on_contract")


@pytest.fixture
def finance_token(make_member: Any, practice_a: Any) -> str:
    return Token.objects.create(user=make_member(Role.FINANCE, practice_a)).key


@pytest.fixture
def admin_token(make_member: Any) -> str:
    return Token.objects.create(user=make_member(Role.COALITION_ADMIN)).key


@pytest.mark.django_db
@schema.parametrize()
@BOUNDS
def test_the_api_answers_as_its_schema_says_to_finance(case: Any, finance_token: str, api_world: None):
    case.call_and_validate(headers={"Authorization": f"Token {finance_token}"}, checks=CHECKS)


@pytest.mark.django_db
@schema.parametrize()
@BOUNDS
def test_the_api_answers_as_its_schema_says_to_coalition_admin(case: Any, admin_token: str, api_world: None):
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"}, checks=CHECKS)


# --- the lies the schema used to tell (issue 15), each pinned -----------------------------------------------------


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    return client.get("/api/schema/?format=json").json()


def _response(document: dict[str, Any], path: str, method: str, code: str) -> dict[str, Any]:
    return document["paths"][path][method]["responses"][code]


def _schema(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    found = response["content"]["application/json"]["schema"]
    if "$ref" in found:
        found = document["components"]["schemas"][found["$ref"].rsplit("/", 1)[1]]
    return found


@pytest.mark.django_db
def test_the_vendor_review_queue_is_documented_as_the_page_it_answers(document):
    page = _schema(document, _response(document, "/api/vendor-review/", "get", "200"))
    assert page["type"] == "object"
    assert set(page["properties"]) == {"count", "next", "previous", "results"}


@pytest.mark.django_db
def test_a_vendor_without_category_is_documented_as_possible(document):
    vendor = document["components"]["schemas"]["Vendor"]["properties"]["category"]
    assert vendor.get("nullable") is True or {"type": "null"} in vendor.get("oneOf", []) + vendor.get("anyOf", [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/uploads/", "post", {"201", "400", "401", "403", "404", "409", "413", "415", "429"}),
        ("/api/uploads/{id}/", "get", {"200", "401", "403", "404", "429"}),
        ("/api/uploads/{id}/reprocess/", "post", {"202", "400", "403", "404", "409"}),
        ("/api/savings/", "get", {"200", "400", "403", "404"}),
        ("/api/auth/token/", "post", {"200", "400", "429"}),
    ],
)
def test_error_answers_the_api_gives_are_documented(document, path, method, codes):
    assert codes <= set(document["paths"][path][method]["responses"])
