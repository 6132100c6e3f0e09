"""Dashboards in a real headless Chromium: from an upload to the lines behind a figure, and the coalition view.

Each journey is a list of steps run in order on one `Journey` (the page, its user and what earlier steps found);
a later feature adds its steps to a list (e.g. `FINANCE_STEPS.append(create_a_claim)`) without touching the
others. Screenshots at 1440 and 390 px are saved as artifacts under `var/browser-artifacts/` (or
$BROWSER_ARTIFACTS), never committed. Every KPI card is checked for overflowing text, with its real figures and
with the widest figure the product can show, from 360 to 1920 px.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from openpyxl import load_workbook

from gpo.members.models import Role
from tests.browser.test_main_flows import _sign_in, browser, open_page, sync_api  # noqa: F401 (fixtures)
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1440, 390)
WIDEST_FIGURE = "-$999,999,999.99"
CARD_WIDTHS = (360, 390, 768, 1024, 1280, 1440, 1920)
PURCHASES_CSV = (
    b"Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice\r\n"
    b"2026-03-15,Acme Medical,00123,Nitrile gloves,10,EA,2.50,25.00,INV-1\r\n"
    b"2026-03-16,Acme Medical,456,Syringes,2.5,BX,4.00,,INV-2\r\n"
    b"2026-03-17,Corner Office Supply,P-1,Paper,3,EA,4.10,12.30,INV-3\r\n"
)

# Every element of a card must stay inside it; the figure never wraps, so a too-wide one sticks out.
OVERFLOWING_CARDS_JS = """() => [...document.querySelectorAll('.kpi')].filter((card) => {
    const box = card.getBoundingClientRect();
    return card.scrollWidth > card.clientWidth + 1 || [...card.querySelectorAll('*')].some((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5);
    });
}).map((card) => card.innerText.split('\\n')[0])"""
WIDEST_JS = """(text) => document.querySelectorAll('.kpi .value').forEach((v) => {
    (v.querySelector('a') || v).textContent = text;
})"""


def artifacts() -> Path:
    folder = Path(os.environ.get("BROWSER_ARTIFACTS") or Path(settings.BASE_DIR) / "var" / "browser-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Journey:
    """One user's browser session and what its steps found on the way."""

    page: Any
    username: str
    tmp_path: Path
    found: dict[str, Any] = field(default_factory=dict)

    def screenshots(self, name: str) -> None:
        """The page at each width (full page at 1440, the first screens at 390), then back to 1440."""
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(
                path=str(artifacts() / f"{name}-{width}.png"), full_page=width == 1440, animations="disabled"
            )
        self.page.set_viewport_size({"width": 1440, "height": 900})

    def assert_no_card_overflows(self) -> None:
        """No KPI text leaves its card, with the real figures and with the widest one, at every width."""
        for width in CARD_WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            assert self.page.evaluate(OVERFLOWING_CARDS_JS) == [], f"real figures at {width}px"
        self.page.evaluate(WIDEST_JS, WIDEST_FIGURE)
        for width in CARD_WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            assert self.page.evaluate(OVERFLOWING_CARDS_JS) == [], f"{WIDEST_FIGURE} at {width}px"
            assert self.page.evaluate("document.documentElement.scrollWidth") <= width
        self.page.set_viewport_size({"width": 1440, "height": 900})
        self.page.reload()


Step = Callable[[Journey], None]


# --- finance: upload, dashboard, a vendor's figure down to its lines, export them --------------------------------


def sign_in(journey: Journey) -> None:
    _sign_in(journey.page, journey.username)
    journey.page.wait_for_url(re.compile(r"/(dashboard|coalition)/$"))


def upload_a_file(journey: Journey) -> None:
    page = journey.page
    csv_file = journey.tmp_path / "march purchases.csv"
    csv_file.write_bytes(PURCHASES_CSV)
    page.goto("/uploads/")
    page.set_input_files("[data-dropzone] input[type=file]", str(csv_file))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r"/uploads/preview$"))
    page.get_by_role("button", name="Upload and reconcile").click()
    page.wait_for_url(re.compile(r"/uploads/[0-9a-f-]{36}/$"))
    sync_api.expect(page.locator("[data-upload-status]")).to_have_text("Done")
    figures = page.get_by_role("region", name="What this upload shows")
    assert figures.locator(".kpi").nth(3).inner_text().split("\n")[-1] == "$47.30"  # 25.00 + 10.00 + 12.30
    assert figures.is_visible()
    assert figures.bounding_box()["y"] < 900  # savings, overcharge and missed show without scrolling
    journey.screenshots("upload-result")


def open_the_dashboard(journey: Journey) -> None:
    page = journey.page
    page.goto("/dashboard/?period=all")
    assert page.locator("h1").inner_text() == "Alpha Radiology: savings and compliance"
    assert page.locator(".kpi[data-card=spend] .value").inner_text() == "$47.30"
    journey.screenshots("practice-dashboard")
    journey.assert_no_card_overflows()


def click_a_vendor_figure_down_to_its_lines(journey: Journey) -> None:
    page = journey.page
    vendors = page.locator("section.card", has=page.get_by_role("heading", name="By vendor", exact=True))
    figure = vendors.get_by_role("row").filter(has_text="Acme Medical").locator("a.drill[data-figure=spend]")
    clicked = figure.inner_text()
    assert clicked == "$35.00"
    figure.click()
    page.wait_for_url(re.compile(r"/lines/\?"))
    assert page.locator("[data-total=spend]").inner_text() == clicked
    assert page.locator(".lines-table tbody tr").count() == 2
    assert "Vendor: Acme Medical" in page.locator(".chips").inner_text()
    journey.found["vendor_figure"] = Decimal(clicked.strip("$"))
    journey.screenshots("lines-explorer")


def export_the_lines(journey: Journey) -> None:
    page = journey.page
    with page.expect_download() as download:
        page.get_by_role("link", name="Export xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook["Lines"].iter_rows(values_only=True))
    spend = rows[0].index("Spend")
    assert sum(Decimal(str(r[spend])) for r in rows[1:]) == journey.found["vendor_figure"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Export csv").click()
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert table[0] == list(rows[0])
    assert sum(Decimal(r[spend]) for r in table[1:]) == journey.found["vendor_figure"]


def print_the_dashboard(journey: Journey) -> None:
    page = journey.page
    page.goto("/dashboard/?period=all")
    page.emulate_media(media="print")
    assert page.locator(".period-filter").is_hidden()
    pdf = page.pdf(format="A4", landscape=True)
    (artifacts() / "practice-dashboard.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    sections = page.locator(".dashboard > section.card, .dashboard > .dashboard-grid").count()
    assert pages >= sections + 1  # the headline page, then one page (or more) per section
    page.emulate_media(media="screen")


def create_a_claim_and_download_its_workbook(journey: Journey) -> None:
    """The gloves' overcharge (10 x (2.50 - 2.00)) filed as a claim to Acme Medical, and the workbook it sends."""
    page = journey.page
    page.goto("/claims/")
    group = page.locator(".claim-group").filter(has=page.get_by_role("heading", name=re.compile("^Acme Medical")))
    assert group.locator(".claim-actions strong").inner_text() == "$5.00"
    journey.screenshots("claims")
    group.get_by_role("button", name="Create claim").click()
    page.wait_for_url(re.compile(r"/claims/[0-9a-f-]{36}/$"))
    assert page.locator("h1").inner_text() == "Credit claim to Acme Medical"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download claim workbook").click()
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.sheetnames == ["Credit claim", "Lines"]
    rows = list(workbook["Lines"].iter_rows(values_only=True))
    amount = rows[0].index("Amount claimed")
    assert [r[rows[0].index("Invoice")] for r in rows[1:] if r[0] != "Total"] == ["INV-1"]
    assert sum(Decimal(str(r[amount])) for r in rows[1:] if r[0] != "Total") == Decimal("5.00")
    journey.screenshots("claim")


FINANCE_STEPS: list[Step] = [
    sign_in,
    upload_a_file,
    open_the_dashboard,
    click_a_vendor_figure_down_to_its_lines,
    export_the_lines,
    create_a_claim_and_download_its_workbook,
    print_the_dashboard,
]


# --- coalition executive: the coalition dashboard ----------------------------------------------------------------


def open_the_coalition_dashboard(journey: Journey) -> None:
    page = journey.page
    page.goto("/coalition/?period=all")
    assert page.locator("h1").inner_text() == "Coalition: every member's savings"
    assert page.locator(".kpi[data-card=spend] .value").inner_text() == "$47.30"
    journey.screenshots("coalition-dashboard")
    journey.assert_no_card_overflows()
    leakage = page.locator("section.card", has=page.get_by_role("heading", name=re.compile("^Leakage")))
    leakage.get_by_role("row").filter(has_text="Corner Office Supply").locator("a.drill[data-figure=spend]").click()
    page.wait_for_url(re.compile(r"/lines/\?"))
    assert page.locator("[data-total=spend]").inner_text() == "$12.30"


COALITION_STEPS: list[Step] = [sign_in, open_the_coalition_dashboard]


@pytest.fixture
def catalog(practice_a: Any) -> None:
    """Acme Medical with a contract on the gloves (paid 2.50, contract 2.00: overcharged), joined by practice A."""
    vendor = VendorFactory(name="Acme Medical", slug="acme-medical")
    contract = ContractFactory(
        vendor=vendor, number="GPO-ACME-1", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    item = ContractItemFactory(contract=contract, vendor_sku="123", uom="EA", units_per_uom=1, list_price=Decimal("3"))
    ContractPriceFactory(item=item, price=Decimal("2.0000"), effective_from=date(2026, 1, 1))
    ParticipationFactory(practice=practice_a, contract=contract, joined_on=date(2026, 1, 1))


def _run(steps: list[Step], journey: Journey) -> None:
    for step in steps:
        step(journey)


@pytest.mark.usefixtures("catalog")
def test_finance_uploads_drills_from_a_vendor_figure_to_its_lines_exports_them_and_files_a_claim(
    open_page: Callable[[], Any],  # noqa: F811 (the fixture imported above)
    make_member: Callable[..., Any],
    practice_a: Any,
    practice_b: Any,
    tmp_path: Path,
) -> None:
    make_member(Role.FINANCE, practice_a, username="fiona")
    make_member(Role.COALITION_EXECUTIVE, None, username="cora")
    page, _ = open_page()

    _run(FINANCE_STEPS, Journey(page, "fiona", tmp_path))

    coalition, _ = open_page()
    _run(COALITION_STEPS, Journey(coalition, "cora", tmp_path))
