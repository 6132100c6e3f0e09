"""The tenancy walk, generated (SECURITY.md item 14, issue 15): every route the URL resolver and the DRF routers
answer, walked by every role of practice A against practice B's objects.

- A route whose address names a practice's object (an upload, a practice's billing) is filled with B's: every method
  answers 404 (405 where the method does not exist), and B's data is unchanged afterwards.
- Every other route (lists, pages, exports, the catalog) is read with query variants that name B (`?practice=`,
  `?format=xlsx`, both) and written with a body that names B: whatever it answers, no answer (xlsx exports opened)
  carries any of B's marks, and B's data is unchanged.
- A route with a parameter this file does not know fails the walk until someone says whose object it takes: a new
  route cannot join the project without being walked.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gpo.billing.models import BillingAccount, Invoice
from gpo.members.models import Role
from reports.models import (
    AdminFeeReport,
    AdminFeeReportLine,
    MonthClose,
    OverchargeClaim,
    PurchaseLine,
    PurchaseUpload,
)
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)
from tests.routes import Route, all_routes, allowed_methods

PRACTICE_ROLES = [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE]
METHODS = ("get", "post", "put", "patch", "delete")
QUERY_VARIANTS = ["", "?practice={slug}", "?format=xlsx", "?practice={slug}&format=xlsx", "?upload={upload}"]

# (route name, parameter) -> whose object it takes. "practice": one practice's data, filled with B's object.
# "shared": the catalog and the coalition's own objects, the same for every member (filled with one B uses).
PARAMETERS: dict[tuple[str, str], str] = {
    ("upload-detail", "id"): "practice",
    ("upload-lines", "id"): "practice",
    ("upload-rejected-rows", "id"): "practice",
    ("upload-reprocess", "id"): "practice",
    ("upload-retry", "id"): "practice",
    ("upload-page", "upload_id"): "practice",
    ("upload-delete", "upload_id"): "practice",
    ("upload-retry", "upload_id"): "practice",
    ("upload-columns", "upload_id"): "practice",
    ("upload-reprocess", "upload_id"): "practice",
    ("billing-practice", "slug"): "practice",
    ("billing-checkout", "slug"): "practice",
    ("billing-portal", "slug"): "practice",
    ("billing-invoice-billing", "slug"): "practice",
    ("billing-practice-plan", "slug"): "practice",
    ("claim-detail", "id"): "practice",
    ("claim-status", "id"): "practice",
    ("claim-workbook", "id"): "practice",
    ("claim-page", "public_id"): "practice",
    ("claim-status", "public_id"): "practice",
    ("claim-workbook", "public_id"): "practice",
    ("month-close-detail", "id"): "practice",
    ("month-close-reopen", "id"): "practice",
    # A vendor's admin-fee report spans every member (coalition staff only): filled with one naming B.
    ("api-admin-fee-report", "id"): "shared",
    ("contract-benchmarks", "pk"): "shared",
    ("vendor-detail", "pk"): "shared",
    ("vendor-detail", "slug"): "shared",
    ("contract-detail", "pk"): "shared",
    ("contract-by-number", "number"): "shared",
    ("billing-plan-publish", "plan_id"): "shared",
    ("password_reset_confirm", "uidb64"): "shared",
    ("password_reset_confirm", "token"): "shared",
    ("claim-page-status", "public_id"): "practice",
    ("claim-page-workbook", "public_id"): "practice",
}


CONTRACT_ROUTES = {"contract-detail", "contract-benchmarks"}


def _walked(route: Route) -> bool:
    # Signing out ends the session the walk runs in.
    return route.name != "logout"


ROUTES = [route for route in all_routes() if _walked(route)]


class PracticeB:
    """Practice B's data, each piece carrying a mark no answer to A may contain."""

    MARKS = (
        "Beta Imaging",
        "Beta Secret Supplies",
        "INV-BETA-7731",
        "BETA-SKU-9",
        "beta-secret.csv",
        "4321.00",
        "4,321",
    )

    def __init__(self, practice: Any) -> None:
        self.practice = practice
        vendor = VendorFactory(name="Shared Contrast Co", slug="shared-contrast")
        self.contract = ContractFactory(vendor=vendor, number="GPO-SHARED-1")
        item = ContractItemFactory(contract=self.contract, vendor_sku="SH-1")
        ContractPriceFactory(item=item, price=Decimal("77.7700"), tier="beta-secret-tier")
        ParticipationFactory(practice=practice, contract=self.contract, tier="beta-secret-tier")
        self.upload = PurchaseUploadFactory(practice=practice, original_filename="beta-secret.csv")
        PurchaseLineFactory(
            upload=self.upload,
            purchase_date=date(2026, 3, 1),
            vendor_name="Beta Secret Supplies",
            invoice_number="INV-BETA-7731",
            sku="BETA-SKU-9",
            spend=Decimal("4321.00"),
            status="on_contract",
        )
        self.account = BillingAccount.objects.create(practice=practice)
        Invoice.objects.create(
            practice=practice,
            stripe_invoice_id="in_beta_secret",
            number="BETA-DUES-0042",
            status="open",
            amount_due=Decimal("900.00"),
            amount_remaining=Decimal("900.00"),
        )
        self.claim = OverchargeClaim.objects.create(
            practice=practice,
            vendor=vendor,
            amount_claimed=Decimal("4321.00"),
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 1),
            notes="INV-BETA-7731",
        )
        self.month_close = MonthClose.objects.create(
            practice=practice,
            month=date(2026, 3, 1),
            closed_at=timezone.now(),
            spend=Decimal("4321.00"),
            on_contract_spend=Decimal("4321.00"),
            savings=Decimal("0.00"),
            overcharge=Decimal("0.00"),
            missed_savings=Decimal("0.00"),
            line_count=1,
        )
        self.fee_report = AdminFeeReport.objects.create(
            vendor=vendor, original_file="fees/beta.xlsx", original_filename="fees.xlsx", sha256="f" * 64
        )
        AdminFeeReportLine.objects.create(
            report=self.fee_report,
            row_number=2,
            contract=self.contract,
            practice=practice,
            member_name="Beta Imaging",
            quarter=date(2026, 1, 1),
            sales=Decimal("4321.00"),
        )
        self.marks = (
            *self.MARKS,
            str(self.upload.public_id),
            "BETA-DUES-0042",
            str(self.claim.public_id),
            str(self.month_close.public_id),
        )

    def state(self) -> tuple[Any, ...]:
        """Everything a write through A's session might change."""
        upload = PurchaseUpload.objects.filter(practice=self.practice).values_list("public_id", "status", "progress")
        lines = PurchaseLine.objects.filter(practice=self.practice).values_list("row_number", "spend", "status")
        account = BillingAccount.objects.filter(practice=self.practice).values_list(
            "plan_id", "collection_method", "stripe_subscription_id"
        )
        claims = OverchargeClaim.objects.filter(practice=self.practice).values_list("public_id", "status", "notes")
        closes = MonthClose.objects.filter(practice=self.practice).values_list("public_id", "reopened_at")
        return (
            list(upload),
            sorted(lines),
            list(account),
            Invoice.objects.filter(practice=self.practice).count(),
            list(claims),
            list(closes),
        )

    def value(self, route: Route, name: str) -> str:
        kind = PARAMETERS.get((route.name, name))
        if kind is None and route.is_admin:
            return {"app_label": "reports", "object_id": str(self.upload.pk)}.get(name, "purchaseupload")
        assert kind is not None, (
            f"{route.template} ({route.name}) takes `{name}`: say in PARAMETERS whose object it is, so the walk "
            "can fill it with practice B's"
        )
        if kind == "practice":
            if name == "slug":
                return self.practice.slug
            if route.name.startswith("claim-"):
                return str(self.claim.public_id)
            if route.name.startswith("month-close-"):
                return str(self.month_close.public_id)
            return str(self.upload.public_id)
        if route.name == "api-admin-fee-report":
            return str(self.fee_report.public_id)
        shared = {
            "pk": str(self.contract.pk if route.name.startswith("contract-") else self.contract.vendor.pk),
            "slug": self.contract.vendor.slug,
            "number": self.contract.number,
        }
        return shared.get(name, "x")

    def takes_practice_object(self, route: Route) -> bool:
        return any(PARAMETERS.get((route.name, name)) == "practice" for name in route.parameters)


def _text(response: Any) -> str:
    """The answer as text: streamed bodies joined, xlsx/zip exports opened and every part read."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return body.decode("utf-8", errors="replace")


def _send(client: Client, method: str, url: str, body: dict[str, str]) -> Any:
    if method == "get":
        return client.get(url)
    if method == "post":
        return client.post(url, body)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def practice_b_data(practice_b):
    return PracticeB(practice_b)


@pytest.fixture
def member_client(request, make_member, practice_a):
    client = Client(raise_request_exception=False)
    client.force_login(make_member(request.param, practice_a))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("member_client", PRACTICE_ROLES, indirect=True)
def test_every_route_keeps_practice_b_from_every_role_of_practice_a(member_client, practice_b_data, practice_a):
    b = practice_b_data
    own = PurchaseUploadFactory(practice=practice_a, original_filename="alpha-own.csv")
    PurchaseLineFactory(upload=own, vendor_name="Alpha Own Supplies")
    before = b.state()
    body = {"practice": b.practice.slug, "upload": str(b.upload.public_id), "mapping": "{}", "plan": "1"}
    problems: list[str] = []
    walked = 0

    for route in ROUTES:
        url = route.url(**{name: b.value(route, name) for name in route.parameters})
        if route.is_admin:
            variants, methods = [url], ["get"]
        elif b.takes_practice_object(route):
            variants, methods = [url], list(METHODS)
        else:
            queries = [q.format(slug=b.practice.slug, upload=b.upload.public_id) for q in QUERY_VARIANTS]
            variants = [url + query for query in queries]
            methods = [m for m in allowed_methods(route) if m in METHODS]
        for address in variants:
            for method in methods:
                if method != "get" and "?" in address:
                    continue
                response = _send(member_client, method, address, body)
                walked += 1
                status = response.status_code
                if b.takes_practice_object(route) and status not in {404, 405}:
                    problems.append(f"{method.upper()} {address} -> {status}, not 404")
                elif status >= 500:
                    problems.append(f"{method.upper()} {address} -> {status}")
                text = _text(response)
                leaked = [mark for mark in b.marks if mark in text and mark not in address]
                if leaked:
                    problems.append(f"{method.upper()} {address} -> {status} shows B's {leaked}")
                if b.state() != before:
                    problems.append(f"{method.upper()} {address} -> {status} changed B's data")
                    before = b.state()

    assert walked > len(ROUTES)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("member_client", PRACTICE_ROLES, indirect=True)
def test_every_practice_object_route_answers_404_for_b(member_client, practice_b_data):
    b = practice_b_data
    routes = [route for route in ROUTES if b.takes_practice_object(route)]
    assert {route.name for route in routes} >= {"upload-detail", "upload-lines", "upload-page", "billing-practice"}
    for route in routes:
        url = route.url(**{name: b.value(route, name) for name in route.parameters})
        answers = {method: _send(member_client, method, url, {}).status_code for method in ("get", "post")}
        # A route answers B's object with 404 on the method it serves; the other may not exist (405).
        assert 404 in answers.values(), (url, answers)
        assert set(answers.values()) <= {404, 405}, (url, answers)


def test_a_route_with_an_unknown_parameter_fails_the_walk(practice_b_data):
    route = Route("/api/claims/{claim_id}/", "claim-detail", callback=None, parameters=("claim_id",))
    with pytest.raises(AssertionError, match="say in PARAMETERS whose object it is"):
        practice_b_data.value(route, "claim_id")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_a_lists_and_exports_hold_a_own_lines_and_none_of_bs(role, make_member, practice_a, practice_b_data, client):
    own = PurchaseUploadFactory(practice=practice_a, original_filename="alpha-own.csv")
    PurchaseLineFactory(
        upload=own, vendor_name="Alpha Own Supplies", invoice_number="INV-ALPHA-1", status="on_contract"
    )
    client.force_login(make_member(role, practice_a))
    for url in ["/api/uploads/", "/api/lines/", "/uploads/"]:
        text = _text(client.get(url))
        assert "alpha-own.csv" in text or "Alpha Own Supplies" in text, url
        assert not [mark for mark in practice_b_data.marks if mark in text], url
