"""Upload pages of the fix loop: warnings above the results, every column's guess shown and correctable, reprocess."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gpo.members.models import Role
from reports.models import PurchaseUpload
from reports.services.uploads import upload_create, upload_process
from tests.reports.upload_samples import ACME_ROWS, ODD_HEADER, csv_rows, csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_a(finance_a: Any) -> Client:
    client = Client()
    client.force_login(finance_a)
    return client


def process(practice: Any, user: Any, content: bytes, name: str = "march.csv") -> PurchaseUpload:
    upload = upload_create(practice=practice, user=user, file=csv_upload(content, name=name), enqueue=False)
    return upload_process(upload_id=upload.id, practice_id=practice.id)


def test_warnings_are_shown_above_the_results(acme, browser_a, practice_a, finance_a):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))

    html = browser_a.get(f"/uploads/{upload.public_id}/").content.decode()

    assert 'data-warning-code="item_number_missing"' in html
    assert "No column was recognised as the vendor item number; 3 lines" in html
    assert html.index('id="warnings-heading"') < html.index("Data rows") < html.index('id="lines-heading"')


def test_a_clean_upload_shows_no_warning_panel(acme, browser_a, practice_a, finance_a):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER.replace("Ref", "Item #")))

    assert upload.warnings == []
    assert 'id="warnings-heading"' not in browser_a.get(f"/uploads/{upload.public_id}/").content.decode()


def _preview(client: Client, practice_slug: str, content: bytes, name: str = "march.csv") -> Any:
    return client.post("/uploads/preview", {"file": csv_upload(content, name=name), "practice": practice_slug})


def _columns_form(response: Any, **fields_by_header: str) -> dict[str, str]:
    """The column table as submitted: each column's shown field, or the one given for its header."""
    data = {}
    for column in response.context["columns"]:
        data[f"col_{column['index']}"] = fields_by_header.get(column["header"], column["field"])
    return data


def test_preview_shows_every_column_with_its_guessed_field_and_how_sure(browser_a, practice_a):
    content = csv_rows(
        "03/02/2026,Acme Medical,AC-100,10,EA,92.00,1",
        "03/02/2026,Acme Medical,AC-200,4,BX,15.50,2",
        "03/09/2026,Bayer,B-1,5,CS,80.00,3",
        header="Posting Date,Supplier,Ref,Qty,Unit,Price,Line",
    )

    response = _preview(browser_a, practice_a.slug, content)

    shown = {column["header"]: (column["field"], column["confidence"]) for column in response.context["columns"]}
    assert shown == {
        "Posting Date": ("purchase_date", "exact"),
        "Supplier": ("vendor_name", "exact"),
        "Ref": ("", ""),
        "Qty": ("quantity", "exact"),
        "Unit": ("uom", "guess"),
        "Price": ("unit_price", "likely"),
        "Line": ("", ""),
    }
    html = response.content.decode()
    assert html.count('<select id="col_') == 7
    assert '<span class="badge badge-confidence-guess">guess</span>' in html


def test_preview_without_a_header_row_found_lets_the_user_choose_it(
    browser_a, practice_a, django_capture_on_commit_callbacks
):
    content = b"Alpha,Beta,Gamma,Delta\r\nWidget,Gadget,Sprocket,Cog\r\n03/02/2026,Acme Medical,9,1.00\r\n"

    first = _preview(browser_a, practice_a.slug, content)
    html = first.content.decode()
    assert first.status_code == 200
    assert "No header row found" not in html
    assert '<option value="2">Row 2: Widget | Gadget | Sprocket | Cog</option>' in html
    token = first.context["entry"]["token"]

    chosen = browser_a.post("/uploads/preview", {"token": token, "header_row": "2"})
    assert chosen.context["preview"].headers == ["Widget", "Gadget", "Sprocket", "Cog"]
    form = _columns_form(chosen, Widget="purchase_date", Gadget="vendor_name", Sprocket="quantity", Cog="unit_price")
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_a.post("/uploads/submit", {"token": token, **form})

    upload = PurchaseUpload.objects.get()
    assert response["Location"] == f"/uploads/{upload.public_id}/"
    assert (upload.status, upload.header_row, upload.rows_accepted) == ("done", 2, 1)


def test_submit_without_the_required_columns_is_refused_naming_them(browser_a, practice_a):
    preview = _preview(browser_a, practice_a.slug, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    form = _columns_form(preview, Vendor="", Qty="", Extended="")

    response = browser_a.post("/uploads/submit", {"token": preview.context["entry"]["token"], **form})

    assert response.status_code == 400
    assert "Choose a column for vendor and two of quantity, unit price and extended amount" in (
        response.content.decode()
    )
    assert PurchaseUpload.objects.count() == 0


def test_submit_with_a_field_on_two_columns_is_refused(browser_a, practice_a):
    preview = _preview(browser_a, practice_a.slug, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    form = _columns_form(preview, Ref="description")

    response = browser_a.post("/uploads/submit", {"token": preview.context["entry"]["token"], **form})

    assert response.status_code == 400
    assert "description is chosen twice" in response.content.decode()
    assert PurchaseUpload.objects.count() == 0


def test_columns_page_corrects_the_mapping_and_reprocesses(
    acme,
    browser_a,
    practice_a,
    finance_a,
    django_capture_on_commit_callbacks,
):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    detail = browser_a.get(f"/uploads/{upload.public_id}/").content.decode()
    assert f'href="/uploads/{upload.public_id}/columns"' in detail

    page = browser_a.get(f"/uploads/{upload.public_id}/columns")
    assert page.status_code == 200
    assert {c["header"]: c["field"] for c in page.context["columns"]}["Ref"] == ""
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_a.post(f"/uploads/{upload.public_id}/reprocess", _columns_form(page, Ref="sku"))

    assert response["Location"] == f"/uploads/{upload.public_id}/"
    upload.refresh_from_db()
    assert (upload.status, upload.warnings, upload.column_mapping["sku"]) == ("done", [], "Ref")
    assert upload.lines.filter(status="overcharged").count() == 2


def test_reprocess_page_refuses_a_choice_without_a_date_and_changes_nothing(
    acme,
    browser_a,
    practice_a,
    finance_a,
):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    page = browser_a.get(f"/uploads/{upload.public_id}/columns")

    response = browser_a.post(f"/uploads/{upload.public_id}/reprocess", _columns_form(page, **{"Invoice Date": ""}))

    assert response.status_code == 400
    assert "Choose a column for purchase date" in response.content.decode()
    upload.refresh_from_db()
    assert (upload.status, upload.mapping_requested) == ("done", {})


@pytest.mark.parametrize(
    ("role", "own", "expected"),
    [
        pytest.param(Role.VIEWER, True, 403, id="viewer"),
        pytest.param(Role.EXECUTIVE, True, 403, id="executive"),
        pytest.param(Role.FINANCE, False, 404, id="finance_of_another_practice"),
    ],
)
def test_columns_and_reprocess_pages_follow_the_role_table(
    practice_a, practice_b, finance_a, make_member, role, own, expected
):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    client = Client()
    client.force_login(make_member(role, practice_a if own else practice_b))

    assert client.get(f"/uploads/{upload.public_id}/columns").status_code == expected
    assert client.post(f"/uploads/{upload.public_id}/reprocess", {"col_0": "purchase_date"}).status_code == expected
    upload.refresh_from_db()
    assert upload.status == "done"
