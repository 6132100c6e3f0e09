"""The uploads API: exact shapes of DESIGN.md section 7, status codes, tenancy and bounded queries."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from rest_framework.test import APIClient

from gpo.members.models import Role
from reports.models import PurchaseLine, PurchaseUpload, RejectedRow
from tests.factories import (
    ContractFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)
from tests.reports.upload_samples import PNG_BYTES, PURCHASES_CSV, csv_rows, csv_upload

pytestmark = pytest.mark.django_db


def _post(client: APIClient, practice_slug: str, content: bytes = PURCHASES_CSV, name: str = "march.csv", **extra):
    return client.post(
        "/api/uploads/",
        {"file": csv_upload(content, name=name), "practice": practice_slug, **extra},
        format="multipart",
    )


@pytest.fixture
def client_a(api_client_for, finance_a):
    return api_client_for(finance_a)


@pytest.fixture
def posted(client_a, practice_a, django_capture_on_commit_callbacks):
    """The upload as the API shows it once processed (the test transaction delays on_commit to block end)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client_a, practice_a.slug)
    assert response.status_code == 201, response.content
    return client_a.get(f"/api/uploads/{response.json()['id']}/").json()


@pytest.mark.django_db(transaction=True)
def test_post_answers_201_with_the_processed_upload(api_client_for, make_member, practice_a):
    # Eager Celery: processing runs right after the upload's commit, before the response is written.
    response = _post(api_client_for(make_member(Role.FINANCE, practice_a)), practice_a.slug)
    assert response.status_code == 201
    posted = response.json()
    upload = PurchaseUpload.objects.get()
    assert posted == {
        "id": str(upload.public_id),
        "practice": "alpha-radiology",
        "filename": "march.csv",
        "status": "done",
        "progress": 100,
        "rows_total": 3,
        "rows_accepted": 2,
        "rows_rejected": 1,
        "rows_skipped": 0,
        "file_total": "36.00",
        "accepted_total": "35.00",
        "error": "",
        "mapping": {
            "purchase_date": {"column": "Date", "confidence": "likely"},
            "vendor_name": {"column": "Vendor", "confidence": "exact"},
            "sku": {"column": "SKU", "confidence": "exact"},
            "description": {"column": "Description", "confidence": "exact"},
            "quantity": {"column": "Qty", "confidence": "exact"},
            "uom": {"column": "UOM", "confidence": "exact"},
            "unit_price": {"column": "Unit Price", "confidence": "exact"},
            "extended_amount": {"column": "Extended", "confidence": "exact"},
            "invoice_number": {"column": "Invoice", "confidence": "exact"},
        },
        # No catalog in this test: true, and said.
        "warnings": [{"code": "no_vendor_in_catalog", "message": posted["warnings"][0]["message"]}],
        "created_at": posted["created_at"],
        "finished_at": posted["finished_at"],
        "rejected": [{"row": 4, "column": "Date", "reason": RejectedRow.objects.get().reason}],
    }


def test_get_upload_detail_has_the_documented_keys(client_a, posted):
    body = client_a.get(f"/api/uploads/{posted['id']}/").json()
    for key in ["id", "practice", "filename", "status", "progress", "rows_total", "rows_accepted", "rows_rejected"]:
        assert key in body
    for key in ["file_total", "accepted_total", "error", "rejected"]:
        assert key in body


def test_same_file_again_answers_409_with_the_first_upload_id(client_a, posted, practice_a):
    response = _post(client_a, practice_a.slug, name="other-name.csv")
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "upload_id"}
    assert body["upload_id"] == posted["id"]
    assert f"(upload {posted['id']})" in body["detail"]
    assert PurchaseUpload.objects.count() == 1


def test_oversize_file_answers_413_and_stores_nothing(client_a, practice_a, settings):
    settings.UPLOAD_MAX_BYTES = 50
    response = _post(client_a, practice_a.slug)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert PurchaseUpload.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_png_renamed_csv_answers_400(client_a, practice_a):
    response = _post(client_a, practice_a.slug, content=PNG_BYTES, name="purchases.csv")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert PurchaseUpload.objects.count() == 0


def test_missing_file_answers_400(client_a, practice_a):
    response = client_a.post("/api/uploads/", {"practice": practice_a.slug}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_upload_for_another_practice_answers_404(client_a, practice_b):
    response = _post(client_a, practice_b.slug)
    assert response.status_code == 404
    assert PurchaseUpload.objects.count() == 0


def test_upload_for_an_unknown_practice_answers_404(client_a):
    assert _post(client_a, "no-such-practice").status_code == 404


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EXECUTIVE])
def test_member_without_finance_role_gets_403(role, api_client_for, make_member, practice_a):
    response = _post(api_client_for(make_member(role, practice_a)), practice_a.slug)
    assert response.status_code == 403
    assert PurchaseUpload.objects.count() == 0


def test_unauthenticated_requests_are_refused(practice_a):
    client = APIClient()
    assert client.get("/api/uploads/").status_code == 401
    assert _post(client, practice_a.slug).status_code == 401
    assert PurchaseUpload.objects.count() == 0


def test_list_is_newest_first_and_holds_only_the_callers_practices(client_a, practice_a, practice_b):
    older = PurchaseUploadFactory(practice=practice_a)
    newer = PurchaseUploadFactory(practice=practice_a)
    PurchaseUploadFactory(practice=practice_b)
    PurchaseUpload.objects.filter(pk=older.pk).update(created_at="2026-01-01T00:00:00Z")
    body = client_a.get("/api/uploads/").json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(newer.public_id), str(older.public_id)]
    assert set(body) == {"count", "next", "previous", "results"}


def test_coalition_staff_list_every_practice(api_client_for, coalition_admin, practice_a, practice_b):
    PurchaseUploadFactory(practice=practice_a)
    PurchaseUploadFactory(practice=practice_b)
    assert api_client_for(coalition_admin).get("/api/uploads/").json()["count"] == 2


def test_list_runs_a_bounded_number_of_queries(client_a, practice_a, django_assert_max_num_queries):
    for _ in range(5):
        PurchaseUploadFactory(practice=practice_a)
    client_a.get("/api/uploads/")  # warm the token and membership lookups' code paths
    with django_assert_max_num_queries(5):
        response = client_a.get("/api/uploads/")
    assert response.json()["count"] == 5


def test_lines_have_the_documented_shape_and_values(client_a, posted):
    body = client_a.get(f"/api/uploads/{posted['id']}/lines/").json()
    assert body["count"] == 2
    first = body["results"][0]
    line = PurchaseLine.objects.get(row_number=2)
    assert first == {
        "id": f"{posted['id']}:2",
        "row": 2,
        "purchase_date": "2026-03-15",
        "vendor_name": "Acme Medical",
        "vendor": None,
        "sku": "00123",
        "description": "Nitrile gloves",
        "quantity": "10",
        "uom": "EA",
        "unit_price": "2.50",
        "extended_amount": "25.00",
        "spend": "25.00",
        "status": line.status,  # reconciliation's business; unknown vendor here
        "overcharge_cause": None,
        "repeat_of": None,
        "contract": None,
        "expected_unit_price": None,
        "list_price": None,
        "savings": "0.00",
        "overcharge": "0.00",
        "missed_savings": "0.00",
        "invoice_number": "INV-1",
        "po_number": "",
    }
    second = body["results"][1]
    assert (second["quantity"], second["extended_amount"], second["spend"]) == ("2.5", None, "10.00")


def test_lines_show_reconciliation_results(client_a, practice_a):
    vendor = VendorFactory(slug="acme-medical")
    contract = ContractFactory(vendor=vendor, number="GPO-7")
    upload = PurchaseUploadFactory(practice=practice_a)
    first = PurchaseLineFactory(upload=upload, quantity=Decimal("-3"), unit_price=Decimal("0.1235"))
    PurchaseLineFactory(
        upload=upload,
        vendor=vendor,
        contract=contract,
        status=PurchaseLine.Status.OVERCHARGED,
        overcharge_cause=PurchaseLine.OverchargeCause.WRONG_TIER,
        repeat_of=first,
        expected_unit_price=Decimal("9.5000"),
        list_price=Decimal("12.0000"),
        savings=Decimal("20.00"),
        overcharge=Decimal("5.00"),
        missed_savings=Decimal("5.00"),
    )
    rows = client_a.get(f"/api/uploads/{upload.public_id}/lines/").json()["results"]
    assert rows[0]["quantity"] == "-3"
    assert rows[0]["unit_price"] == "0.1235"
    assert {k: rows[1][k] for k in ["vendor", "contract", "status", "overcharge_cause", "repeat_of"]} == {
        "vendor": "acme-medical",
        "contract": "GPO-7",
        "status": "overcharged",
        "overcharge_cause": "wrong_tier",
        "repeat_of": f"{first.upload.public_id}:{first.row_number}",
    }
    assert [rows[1][k] for k in ["expected_unit_price", "list_price", "savings", "overcharge", "missed_savings"]] == [
        "9.50",
        "12.00",
        "20.00",
        "5.00",
        "5.00",
    ]


def test_lines_filter_by_status_vendor_and_dates(client_a, practice_a):
    vendor = VendorFactory(slug="acme-medical")
    upload = PurchaseUploadFactory(practice=practice_a)
    on = PurchaseLineFactory(upload=upload, status=PurchaseLine.Status.ON_CONTRACT, vendor=vendor)
    PurchaseLineFactory(upload=upload, status=PurchaseLine.Status.OFF_CONTRACT, purchase_date="2026-04-01")
    url = f"/api/uploads/{upload.public_id}/lines/"
    on_id = f"{upload.public_id}:{on.row_number}"
    assert [r["id"] for r in client_a.get(url, {"status": "on_contract"}).json()["results"]] == [on_id]
    assert [r["id"] for r in client_a.get(url, {"vendor": "acme-medical"}).json()["results"]] == [on_id]
    assert [r["id"] for r in client_a.get(url, {"end": "2026-03-31"}).json()["results"]] == [on_id]
    assert client_a.get(url, {"start": "2026-04-01", "end": "2026-04-01"}).json()["count"] == 1
    assert client_a.get(url, {"start": "soon"}).status_code == 400


def test_lines_run_a_bounded_number_of_queries(client_a, practice_a, django_assert_max_num_queries):
    vendor = VendorFactory()
    contract = ContractFactory(vendor=vendor)
    upload = PurchaseUploadFactory(practice=practice_a)
    for _ in range(10):
        PurchaseLineFactory(upload=upload, vendor=vendor, contract=contract)
    client_a.get(f"/api/uploads/{upload.public_id}/lines/")
    with django_assert_max_num_queries(6):
        assert client_a.get(f"/api/uploads/{upload.public_id}/lines/").json()["count"] == 10


def test_delete_answers_204_and_removes_the_lines(client_a, posted):
    response = client_a.delete(f"/api/uploads/{posted['id']}/")
    assert response.status_code == 204
    assert PurchaseUpload.objects.count() == 0
    assert PurchaseLine.objects.count() == 0


def test_viewer_cannot_delete(api_client_for, make_member, practice_a, posted):
    viewer = make_member(Role.VIEWER, practice_a)
    assert api_client_for(viewer).delete(f"/api/uploads/{posted['id']}/").status_code == 403
    assert PurchaseUpload.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "lines/"),
        ("get", "rejected.xlsx/"),
        ("delete", ""),
    ],
    ids=["detail_case", "lines_case", "rejected_case", "delete_case"],
)
def test_another_practices_upload_answers_404(method, suffix, api_client_for, finance_b, posted):
    response = getattr(api_client_for(finance_b), method)(f"/api/uploads/{posted['id']}/{suffix}")
    assert response.status_code == 404
    assert PurchaseUpload.objects.count() == 1
    assert PurchaseLine.objects.count() == 2


def test_another_practices_list_holds_none_of_our_ids(api_client_for, finance_b, posted):
    assert api_client_for(finance_b).get("/api/uploads/").json()["count"] == 0


def test_rejected_rows_download_is_a_safe_xlsx(client_a, practice_a, django_capture_on_commit_callbacks):
    content = csv_rows(
        '2026-03-15,=HYPERLINK("http://evil"),1,x,N/A,EA,1.00,,INV-1',
        "not a date,Acme,2,@SUM(A1),1,EA,1.00,1.00,INV-2",
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload_id = _post(client_a, practice_a.slug, content=content, name="../=evil;name.csv").json()["id"]
    response = client_a.get(f"/api/uploads/{upload_id}/rejected.xlsx/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="upload-{upload_id}-rejected-rows.xlsx"'
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell for cell in cells if cell.data_type == "f"] == []
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Date", "Vendor", "SKU"]
    assert rows[0][-3:] == ["Row", "Column", "Reason"]
    assert '\'=HYPERLINK("http://evil")' in rows[1]
    assert "'@SUM(A1)" in rows[2]
    assert [row[-3] for row in rows[1:]] == [2, 3]


def test_openapi_schema_documents_the_upload_routes(client_a):
    response = client_a.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for route in [
        "/api/uploads/",
        "/api/uploads/{id}/",
        "/api/uploads/{id}/lines/",
        "/api/uploads/{id}/rejected.xlsx/",
    ]:
        assert route in paths


def test_post_reads_the_chosen_sheet(client_a, practice_a, django_capture_on_commit_callbacks):
    from tests.reports.upload_samples import purchases_xlsx

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client_a, practice_a.slug, content=purchases_xlsx(), name="march.xlsx", sheet="Purchases")
    assert response.status_code == 201
    body = client_a.get(f"/api/uploads/{response.json()['id']}/").json()
    assert (body["status"], body["rows_accepted"], body["accepted_total"]) == ("done", 2, "41.00")
