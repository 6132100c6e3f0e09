"""Upload pages: list and form, preview with a correctable mapping, results, delete; tenancy answers 404."""

from __future__ import annotations

import pytest
from django.test import Client

from gpo.members.models import Role
from reports.models import ColumnMappingPreset, PurchaseLine, PurchaseUpload
from tests.factories import PurchaseLineFactory, PurchaseUploadFactory
from tests.reports.upload_samples import PNG_BYTES, csv_rows, csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_a(finance_a):
    client = Client()
    client.force_login(finance_a)
    return client


def _preview(client: Client, practice_slug: str, content: bytes | None = None, name: str = "march.csv"):
    upload = csv_upload(content, name=name) if content is not None else csv_upload(name=name)
    return client.post("/uploads/preview", {"file": upload, "practice": practice_slug, "sheet": ""})


def _selected(response) -> dict[str, str]:
    """Field -> header as the preview's column table shows it."""
    return {column["field"]: column["header"] for column in response.context["columns"] if column["field"]}


def _submit(client: Client, response, **mapping: str):
    """Submit the preview's column table, with `mapping` (field -> header) moved onto the columns named."""
    held = {column["header"]: column["field"] for column in response.context["columns"]}
    for field, header in mapping.items():
        held = {name: ("" if value == field else value) for name, value in held.items()}
        held[header] = field
    data = {"token": response.context["entry"]["token"]}
    for column in response.context["columns"]:
        data[f"col_{column['index']}"] = held[column["header"]]
    return client.post("/uploads/submit", data)


def test_list_shows_the_current_practices_uploads_newest_first(browser_a, practice_a, practice_b):
    older = PurchaseUploadFactory(practice=practice_a, original_filename="january.csv")
    newer = PurchaseUploadFactory(practice=practice_a, original_filename="february.csv")
    PurchaseUploadFactory(practice=practice_b, original_filename="beta-secret.csv")
    PurchaseUpload.objects.filter(pk=older.pk).update(created_at="2026-01-01T00:00:00Z")
    response = browser_a.get("/uploads/")
    assert response.status_code == 200
    assert [u.id for u in response.context["uploads"]] == [newer.id, older.id]
    html = response.content.decode()
    assert "beta-secret.csv" not in html
    assert "data-dropzone" in html
    assert html.index("february.csv") < html.index("january.csv")


def test_viewer_gets_403_on_the_uploads_page(make_member, practice_a):
    client = Client()
    client.force_login(make_member(Role.VIEWER, practice_a))
    response = client.get("/uploads/")
    assert response.status_code == 403
    assert "data-dropzone" not in response.content.decode()


def test_executive_sees_uploads_but_no_upload_form(make_member, practice_a):
    client = Client()
    client.force_login(make_member(Role.EXECUTIVE, practice_a))
    response = client.get("/uploads/")
    assert response.status_code == 200
    assert response.context["can_upload"] is False
    assert "data-dropzone" not in response.content.decode()


def test_anonymous_visitor_is_sent_to_login():
    response = Client().get("/uploads/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_preview_shows_first_rows_and_detected_mapping_and_stores_nothing(browser_a, practice_a):
    response = _preview(browser_a, practice_a.slug)
    assert response.status_code == 200
    selected = _selected(response)
    assert selected["vendor_name"] == "Vendor"
    assert selected["quantity"] == "Qty"
    assert "Nitrile gloves" in response.content.decode()
    assert PurchaseUpload.objects.count() == 0


def test_submit_stores_processes_and_shows_the_results(browser_a, practice_a, django_capture_on_commit_callbacks):
    preview = _preview(browser_a, practice_a.slug)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(browser_a, preview)
    upload = PurchaseUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/uploads/{upload.public_id}/"
    assert upload.original_filename == "march.csv"
    page = browser_a.get(f"/uploads/{upload.public_id}/")
    html = page.content.decode()
    assert page.context["running"] is False
    assert f"/api/uploads/{upload.public_id}/rejected.xlsx/" in html
    assert "Nitrile gloves" in html
    assert "36.00" in html
    assert "35.00" in html
    assert ColumnMappingPreset.objects.count() == 0  # nothing corrected, nothing remembered


def test_corrected_mapping_is_used_and_remembered(browser_a, practice_a, django_capture_on_commit_callbacks):
    content = csv_rows(
        "2026-03-15,Acme Medical,00123,Nitrile gloves,10,EA,2.50,25.00,INV-1,Box of 100",
        header="Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice,Notes",
    )
    preview = _preview(browser_a, practice_a.slug, content)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(browser_a, preview, description="Notes")
    assert PurchaseLine.objects.get().description == "Box of 100"
    assert ColumnMappingPreset.objects.get(practice=practice_a).mapping["description"] == "Notes"

    again = _preview(browser_a, practice_a.slug, content + b"\r\n", name="april.csv")
    assert _selected(again)["description"] == "Notes"


def test_duplicate_file_points_at_the_first_upload(browser_a, practice_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(browser_a, _preview(browser_a, practice_a.slug))
    first = PurchaseUpload.objects.get()
    response = _submit(browser_a, _preview(browser_a, practice_a.slug, name="again.csv"))
    assert response["Location"] == f"/uploads/{first.public_id}/"
    page = browser_a.get(response["Location"])
    when = first.created_at.date().isoformat()
    assert f"already uploaded on {when} as march.csv (upload {first.public_id})" in page.content.decode()
    assert PurchaseUpload.objects.count() == 1


def test_not_a_spreadsheet_is_refused_with_a_message(browser_a, practice_a):
    response = _preview(browser_a, practice_a.slug, PNG_BYTES, name="photo.csv")
    assert response.status_code == 302
    messages = [str(m) for m in browser_a.get("/uploads/").context["messages"]]
    assert len(messages) == 1
    assert PurchaseUpload.objects.count() == 0


def test_oversize_file_is_refused_with_a_message(browser_a, practice_a, settings):
    settings.UPLOAD_MAX_BYTES = 10
    response = _preview(browser_a, practice_a.slug)
    assert response.status_code == 302
    messages = [str(m) for m in browser_a.get("/uploads/").context["messages"]]
    assert "limit" in messages[0]


def test_preview_for_another_practice_is_refused(browser_a, practice_b):
    response = _preview(browser_a, practice_b.slug)
    assert response.status_code == 404
    assert PurchaseUpload.objects.count() == 0


def test_running_upload_page_polls_the_api(browser_a, practice_a):
    upload = PurchaseUploadFactory(practice=practice_a, status=PurchaseUpload.Status.PARSING, progress=40)
    html = browser_a.get(f"/uploads/{upload.public_id}/").content.decode()
    assert f'data-upload-poll="/api/uploads/{upload.public_id}/"' in html
    assert 'data-progress="40"' in html
    assert "<script>" not in html


def test_results_page_filters_lines_by_status(browser_a, practice_a):
    upload = PurchaseUploadFactory(practice=practice_a)
    on = PurchaseLineFactory(upload=upload, status=PurchaseLine.Status.ON_CONTRACT)
    PurchaseLineFactory(upload=upload, status=PurchaseLine.Status.OFF_CONTRACT)
    response = browser_a.get(f"/uploads/{upload.public_id}/", {"status": "on_contract"})
    assert [line.id for line in response.context["lines"]] == [on.id]


def test_delete_button_removes_the_upload(browser_a, practice_a):
    upload = PurchaseUploadFactory(practice=practice_a)
    PurchaseLineFactory(upload=upload)
    response = browser_a.post(f"/uploads/{upload.public_id}/delete")
    assert response.status_code == 302
    assert PurchaseUpload.objects.count() == 0
    assert PurchaseLine.objects.count() == 0


@pytest.mark.parametrize(("method", "suffix"), [("get", "/"), ("post", "/delete")], ids=["detail_case", "delete_case"])
def test_another_practices_upload_page_answers_404(method, suffix, browser_a, practice_b):
    upload = PurchaseUploadFactory(practice=practice_b)
    response = getattr(browser_a, method)(f"/uploads/{upload.public_id}{suffix}")
    assert response.status_code == 404
    assert PurchaseUpload.objects.count() == 1


def test_viewer_cannot_delete_from_the_page(make_member, practice_a):
    upload = PurchaseUploadFactory(practice=practice_a)
    client = Client()
    client.force_login(make_member(Role.VIEWER, practice_a))
    assert client.post(f"/uploads/{upload.public_id}/delete").status_code == 403
    assert PurchaseUpload.objects.count() == 1


def test_list_page_runs_a_bounded_number_of_queries(browser_a, practice_a, django_assert_max_num_queries):
    for _ in range(5):
        PurchaseUploadFactory(practice=practice_a)
    with django_assert_max_num_queries(12):
        assert browser_a.get("/uploads/").status_code == 200


def test_workbook_with_purchases_on_another_sheet_can_be_previewed_by_sheet(
    browser_a, practice_a, django_capture_on_commit_callbacks
):
    from tests.reports.upload_samples import purchases_xlsx

    # The first sheet holds no purchases: no dead end, the sheet and the header row can be chosen.
    failed = _preview(browser_a, practice_a.slug, purchases_xlsx(), name="march.xlsx")
    assert failed.status_code == 200
    assert failed.context["preview"].header_found is False
    assert "No row of this file names its columns" in failed.content.decode()
    assert 'name="sheet"' in failed.content.decode()
    token = failed.context["entry"]["token"]

    preview = browser_a.post("/uploads/preview", {"token": token, "sheet": "Nope"})
    assert "Summary, Purchases" in preview.content.decode()

    preview = browser_a.post("/uploads/preview", {"token": token, "sheet": "Purchases"})
    assert preview.status_code == 200
    assert preview.context["preview"].sheet_names == ["Summary", "Purchases"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(browser_a, preview)
    upload = PurchaseUpload.objects.get()
    assert response["Location"] == f"/uploads/{upload.public_id}/"
    assert (upload.sheet_name, upload.rows_accepted, upload.status) == ("Purchases", 2, PurchaseUpload.Status.DONE)
