"""The main flows driven through a real headless Chromium against the live server.

Sign in and find a contract price, upload a purchase file and read its results, another practice's user gets a 404
for that upload, a coalition admin opens the coalition dashboard. Every page must load without a CSP violation.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gpo.members.models import Role
from reports.models import PurchaseUpload
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorAliasFactory,
    VendorFactory,
)

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there unless told it is fine.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # UserFactory's password
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000

# Two accepted rows and one rejected for its missing date (the same shape as tests/reports/upload_samples.py).
PURCHASES_CSV = (
    b"Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice\r\n"
    b"2026-03-15,Acme Medical,00123,Nitrile gloves,10,EA,2.50,25.00,INV-1\r\n"
    b"2026-03-16,Acme Medical,456,Syringes,2.5,BX,4.00,,INV-2\r\n"
    b",Acme Medical,789,No date here,1,EA,1.00,1.00,INV-3\r\n"
)


def _chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium binary on PATH (looked for chromium and chromium-browser)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium_path()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class ConsoleLog:
    """Console messages of one page; CSP violations show up there as errors."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def record(self, message: Any) -> None:
        self.messages.append((message.type, message.text))

    @property
    def csp_violations(self) -> list[str]:
        return [
            text
            for kind, text in self.messages
            if kind == "error" and ("Content Security Policy" in text or "Content-Security-Policy" in text)
        ]


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """Open a fresh browser context (its own cookies) and page; checks no CSP violation was logged on teardown."""
    contexts: list[Any] = []
    logs: list[ConsoleLog] = []

    def make() -> tuple[Any, ConsoleLog]:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        log = ConsoleLog()
        page.on("console", log.record)
        contexts.append(context)
        logs.append(log)
        return page, log

    yield make
    for context in contexts:
        context.close()
    violations = [text for log in logs for text in log.csp_violations]
    assert violations == []


def _sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def _css_loaded(page: Any) -> bool:
    """The stylesheet applied: the header is not in the browser's default (transparent, static) style."""
    return page.evaluate(
        """() => {
            const sheet = [...document.styleSheets].find((s) => (s.href || '').includes('/static/css/app.css'));
            return Boolean(sheet && sheet.cssRules.length > 0);
        }"""
    )


def test_finance_signs_in_searches_a_vendor_alias_and_sees_the_practice_tier_price(
    open_page, make_member, practice_a, practice_b, tmp_path: Path
):
    today = timezone.localdate()
    vendor = VendorFactory(name="GE Healthcare", slug="ge-healthcare")
    VendorAliasFactory(vendor=vendor, name="GE HEALTHCARE INC.")
    contract = ContractFactory(
        vendor=vendor,
        number="GPO-MR-007",
        title="MRI contrast and injectors",
        start_date=today - timedelta(days=100),
        end_date=today + timedelta(days=200),
    )
    item = ContractItemFactory(
        contract=contract, vendor_sku="OMN-350-100", description="Omnipaque 350 100 mL", list_price=Decimal("120")
    )
    ContractPriceFactory(item=item, tier="Tier 1", price=Decimal("81.2300"), effective_from=today - timedelta(days=100))
    ContractPriceFactory(item=item, tier="Tier 2", price=Decimal("93.4500"), effective_from=today - timedelta(days=100))
    ParticipationFactory(practice=practice_a, contract=contract, tier="Tier 1", joined_on=today - timedelta(days=50))
    ParticipationFactory(practice=practice_b, contract=contract, tier="Tier 2", joined_on=today - timedelta(days=50))
    finance = make_member(Role.FINANCE, practice_a, username="fiona")
    page, _ = open_page()

    _sign_in(page, "fiona")

    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.locator("h1").inner_text() == "Alpha Radiology: savings and compliance"
    assert _css_loaded(page)
    # app.js hides the practice picker's Switch button (the select submits itself); [hidden] must beat .button.
    assert page.get_by_role("button", name="Switch").is_hidden()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True, animations="disabled")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    page.wait_for_url(re.compile(r"/catalog/$"))
    page.fill("#catalog-q", "ge healthcare, inc")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/catalog/\?q="))
    vendor_cards = page.locator(".vendor-card h3")
    assert vendor_cards.all_inner_texts() == ["GE Healthcare"]

    vendor_cards.get_by_role("link", name="GE Healthcare").click()
    page.wait_for_url(re.compile(r"/catalog/vendors/ge-healthcare/$"))
    page.get_by_role("link", name="MRI contrast and injectors").click()
    page.wait_for_url(re.compile(rf"/catalog/contracts/{contract.pk}/$"))

    body = page.locator("main").inner_text()
    assert "Tier 1" in body
    assert "$81.23" in body
    assert "93.45" not in body
    assert finance.username == "fiona"


def test_finance_uploads_a_csv_and_reads_the_results_another_practice_gets_404(
    open_page, make_member, practice_a, practice_b, tmp_path: Path
):
    make_member(Role.FINANCE, practice_a, username="fiona")
    make_member(Role.FINANCE, practice_b, username="boris")
    csv_file = tmp_path / "march purchases.csv"
    csv_file.write_bytes(PURCHASES_CSV)
    page, _ = open_page()
    _sign_in(page, "fiona")
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.goto("/uploads/")
    page.set_input_files("[data-dropzone] input[type=file]", str(csv_file))
    assert page.locator("[data-dropzone-name]").inner_text() == "march purchases.csv"  # uploads.js ran
    page.get_by_role("button", name="Preview").click()

    page.wait_for_url(re.compile(r"/uploads/preview$"))
    assert page.get_by_label("Field held by Vendor", exact=True).input_value() == "vendor_name"
    assert page.get_by_label("Field held by Qty", exact=True).input_value() == "quantity"
    page.get_by_role("button", name="Upload and reconcile").click()

    page.wait_for_url(re.compile(r"/uploads/[0-9a-f-]{36}/$"))
    status = page.locator("[data-upload-status]")
    sync_api.expect(status).to_have_text("Done", timeout=TIMEOUT_MS)
    kpis = page.get_by_role("region", name="Summary")
    assert kpis.locator(".kpi").nth(1).inner_text().split() == ["Accepted", "2"]
    assert kpis.locator(".kpi").nth(2).inner_text().split() == ["Rejected", "1"]
    rejected = page.locator("#rejected-heading").locator("xpath=ancestor::section").locator("tbody tr")
    assert rejected.count() == 1
    reason_row = rejected.first.inner_text()
    assert "No date here" in reason_row
    assert "date" in rejected.first.locator("td").nth(2).inner_text().lower()
    assert _css_loaded(page)
    page.screenshot(path=str(tmp_path / "upload-result.png"), full_page=True, animations="disabled")

    upload = PurchaseUpload.objects.get()
    assert upload.status == PurchaseUpload.Status.DONE
    assert (upload.rows_accepted, upload.rows_rejected) == (2, 1)
    assert page.url.endswith(f"/uploads/{upload.public_id}/")

    other, _ = open_page()
    _sign_in(other, "boris")
    other.wait_for_url(re.compile(r"/dashboard/$"))
    response = other.goto(f"/uploads/{upload.public_id}/")
    assert response is not None
    assert response.status == 404
    assert "march purchases.csv" not in other.content()
    assert "Nitrile gloves" not in other.content()


def test_coalition_admin_opens_the_coalition_dashboard(open_page, make_member):
    make_member(Role.COALITION_ADMIN, None, username="ada")
    page, _ = open_page()

    _sign_in(page, "ada")
    page.wait_for_url(re.compile(r"/coalition/$"))

    assert page.locator("h1").inner_text() == "Coalition: every member's savings"
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Coalition").get_attribute("aria-current") == "page"
    assert _css_loaded(page)
