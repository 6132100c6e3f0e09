"""Never a confident wrong number, end to end: warn when unsure, fix the mapping, reprocess (DESIGN §5 and §7)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from gpo.members.models import Practice, Role
from reports.models import ColumnMappingPreset, PurchaseLine, PurchaseUpload, SavingsSummary, UploadAuditEntry
from reports.services import uploads as upload_services
from reports.services.uploads import upload_create, upload_process, upload_reprocess
from tests.reports.upload_samples import ACME_ROWS, ODD_HEADER, RIGHT_HEADER, csv_rows, csv_upload

pytestmark = pytest.mark.django_db


def process(practice: Practice, user: Any, content: bytes, name: str = "march.csv", **options: Any) -> PurchaseUpload:
    upload = upload_create(practice=practice, user=user, file=csv_upload(content, name=name), enqueue=False, **options)
    return upload_process(upload_id=upload.id, practice_id=practice.id)


def codes(upload: PurchaseUpload) -> list[str]:
    return [warning["code"] for warning in upload.warnings]


LINE_FIELDS = (
    "row_number",
    "purchase_date",
    "vendor_name",
    "vendor_id",
    "sku",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "extended_amount",
    "spend",
    "status",
    "overcharge_cause",
    "contract_id",
    "item_id",
    "expected_unit_price",
    "list_price",
    "savings",
    "overcharge",
    "missed_savings",
    "invoice_number",
    "repeat_of_id",
)
UPLOAD_FIELDS = ("status", "rows_total", "rows_accepted", "rows_rejected", "rows_skipped", "file_total")


def lines_of(upload: PurchaseUpload) -> list[tuple[Any, ...]]:
    return list(PurchaseLine.objects.filter(upload=upload).order_by("row_number").values_list(*LINE_FIELDS))


def summary_of(practice: Practice) -> list[tuple[Any, ...]]:
    rows = SavingsSummary.objects.filter(practice=practice).values_list(
        "breakdown", "month", "day", "status", "vendor_id", "contract_id", "spend_cents", "savings_cents", "line_count"
    )
    return sorted(rows, key=str)


def test_unrecognised_item_number_header_is_done_with_a_warning_naming_the_item_number(
    acme, practice_a, finance_a, api_client_for
):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))

    assert upload.status == PurchaseUpload.Status.DONE
    assert "sku" not in upload.column_mapping
    assert codes(upload) == ["item_number_missing"]
    assert upload.warnings[0]["message"].startswith(
        "No column was recognised as the vendor item number; 3 lines from vendors with contracts could not be "
        "matched to a contract item"
    )
    body = api_client_for(finance_a).get(f"/api/uploads/{upload.public_id}/").json()
    assert body["warnings"] == upload.warnings
    assert "sku" not in body["mapping"]


def test_reprocessing_with_the_right_mapping_gives_exactly_a_fresh_upload_with_the_right_headers(
    acme, practice_a, practice_b, finance_a, finance_b, api_client_for, django_capture_on_commit_callbacks
):
    wrong = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    fresh = process(practice_b, finance_b, csv_rows(*ACME_ROWS, header=RIGHT_HEADER))
    client = api_client_for(finance_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/uploads/{wrong.public_id}/reprocess/", {"mapping": {"sku": "Ref"}}, format="json")

    assert response.status_code == 202
    assert response.json()["id"] == str(wrong.public_id)
    wrong.refresh_from_db()
    ignore_ids = {"vendor_id", "contract_id", "item_id"}
    keep = [i for i, name in enumerate(LINE_FIELDS) if name not in ignore_ids]
    assert [tuple(row[i] for i in keep) for row in lines_of(wrong)] == [
        tuple(row[i] for i in keep) for row in lines_of(fresh)
    ]
    assert [line[3:4] + line[13:15] for line in lines_of(wrong)] == [
        line[3:4] + line[13:15] for line in lines_of(fresh)
    ]
    assert [getattr(wrong, name) for name in (*UPLOAD_FIELDS, "accepted_total")] == [
        getattr(fresh, name) for name in (*UPLOAD_FIELDS, "accepted_total")
    ]
    assert {row[11] for row in lines_of(wrong)} == {"on_contract", "overcharged", "non_gpo_vendor"}
    assert wrong.warnings == fresh.warnings == []
    assert wrong.column_mapping["sku"] == "Ref"
    assert wrong.column_confidence["sku"] == "exact"
    # The practice's savings follow: its summary rows equal the fresh practice's, and so do the figures.
    strip = [row[:4] + row[6:] for row in summary_of(practice_a)]
    assert strip == [row[:4] + row[6:] for row in summary_of(practice_b)]
    savings_a = client.get("/api/savings/", {"practice": practice_a.slug}).json()
    savings_b = api_client_for(finance_b).get("/api/savings/", {"practice": practice_b.slug}).json()
    assert (savings_a["spend"], savings_a["savings"], savings_a["overcharge"]) == (
        savings_b["spend"],
        savings_b["savings"],
        savings_b["overcharge"],
    )
    assert Decimal(savings_a["overcharge"]) == Decimal("122.00")  # 10 x (92.00 - 80.00) + 4 x (15.50 - 15.00)


def test_reprocess_remembers_the_mapping_for_the_practices_files_of_that_layout(
    acme, practice_a, finance_a, django_capture_on_commit_callbacks
):
    wrong = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    with django_capture_on_commit_callbacks(execute=True):
        upload_reprocess(upload=wrong, user=finance_a, mapping={"sku": "Ref"})

    april = process(practice_a, finance_a, csv_rows(ACME_ROWS[0].replace("03/02", "04/02"), header=ODD_HEADER))

    assert ColumnMappingPreset.objects.get(practice=practice_a).mapping == {"sku": "Ref"}
    assert april.column_mapping["sku"] == "Ref"
    assert april.warnings == []
    assert UploadAuditEntry.objects.filter(action="reprocessed", upload_id_recorded=wrong.id).count() == 1


def test_reprocess_recomputes_repeats_of_later_uploads(acme, practice_a, finance_a, django_capture_on_commit_callbacks):
    # The first file's item numbers were not read; a later file lists two of its lines again, item numbers read.
    first = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER), name="a.csv")
    second = process(practice_a, finance_a, csv_rows(*ACME_ROWS[:2], header=RIGHT_HEADER), name="b.csv")
    assert [line[-1] for line in lines_of(second)] == [None, None]  # different SKUs: not repeats yet

    with django_capture_on_commit_callbacks(execute=True):
        upload_reprocess(upload=first, user=finance_a, mapping={"sku": "Ref"})

    # Now they repeat the first file's (new) lines, and stay out of every total (rule 9).
    new_ids = dict(PurchaseLine.objects.filter(upload=first).values_list("row_number", "id"))
    assert [line[-1] for line in lines_of(second)] == [new_ids[2], new_ids[3]]
    counted = SavingsSummary.objects.filter(practice=practice_a, breakdown="vendor", day__isnull=False)
    assert sum(counted.values_list("line_count", flat=True)) == 4


def test_reprocess_keeps_later_repeats_pointing_at_the_new_lines(
    acme, practice_a, finance_a, django_capture_on_commit_callbacks
):
    first = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=RIGHT_HEADER), name="a.csv")
    second = process(practice_a, finance_a, csv_rows(*ACME_ROWS[:2], header=RIGHT_HEADER), name="b.csv")
    old_ids = dict(PurchaseLine.objects.filter(upload=first).values_list("row_number", "id"))
    assert [line[-1] for line in lines_of(second)] == [old_ids[2], old_ids[3]]

    with django_capture_on_commit_callbacks(execute=True):
        upload_reprocess(upload=first, user=finance_a, mapping={"description": ""})

    new_ids = dict(PurchaseLine.objects.filter(upload=first).values_list("row_number", "id"))
    assert set(new_ids.values()).isdisjoint(old_ids.values())
    assert [line[-1] for line in lines_of(second)] == [new_ids[2], new_ids[3]]


def test_reprocess_with_another_date_column_ends_repeats_it_no_longer_matches(
    acme, practice_a, finance_a, django_capture_on_commit_callbacks
):
    header = "Invoice Date,Ship Date,Vendor,Item #,Description,Qty,UOM,Unit Price,Extended,Invoice"
    rows = [row.replace(",Acme", ",03/20/2026,Acme").replace(",Other", ",03/20/2026,Other") for row in ACME_ROWS]
    first = process(practice_a, finance_a, csv_rows(*rows, header=header), name="a.csv")
    second = process(practice_a, finance_a, csv_rows(*rows[:2], header=header), name="b.csv")
    assert all(line[-1] is not None for line in lines_of(second))

    with django_capture_on_commit_callbacks(execute=True):
        upload_reprocess(upload=first, user=finance_a, mapping={"purchase_date": "Ship Date"})

    assert [line[-1] for line in lines_of(second)] == [None, None]
    assert {line[1] for line in lines_of(first)} == {date(2026, 3, 20)}


def test_a_failed_upload_never_blocks_its_file(
    practice_a, finance_a, api_client_for, django_capture_on_commit_callbacks
):
    content = csv_rows("03/02/2026,Acme Medical,9,1.00,9.00", header="Widget,Gadget,Sprocket,Cog,Flange")
    client = api_client_for(finance_a)
    with django_capture_on_commit_callbacks(execute=True):
        failed = client.post("/api/uploads/", {"file": csv_upload(content), "practice": practice_a.slug})
    assert failed.status_code == 201
    assert failed.json()["status"] == "failed"
    assert "No header row found" in failed.json()["error"]

    mapping = {"purchase_date": "Widget", "vendor_name": "Gadget", "quantity": "Sprocket", "unit_price": "Cog"}
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            "/api/uploads/",
            {"file": csv_upload(content), "practice": practice_a.slug, "mapping": json.dumps(mapping)},
        )

    assert again.status_code == 201, again.content
    assert again.json()["status"] == "done"
    assert again.json()["mapping"]["vendor_name"] == {"column": "Gadget", "confidence": "exact"}
    assert PurchaseLine.objects.get().spend == Decimal("9.00")
    duplicate = client.post("/api/uploads/", {"file": csv_upload(content), "practice": practice_a.slug})
    assert duplicate.status_code == 409
    assert duplicate.json()["upload_id"] == again.json()["id"]


def test_a_deleted_upload_never_blocks_its_file(practice_a, finance_a, api_client_for):
    client = api_client_for(finance_a)
    first = client.post("/api/uploads/", {"file": csv_upload(), "practice": practice_a.slug}).json()
    assert client.delete(f"/api/uploads/{first['id']}/").status_code == 204

    assert client.post("/api/uploads/", {"file": csv_upload(), "practice": practice_a.slug}).status_code == 201


def test_post_with_a_mapping_naming_a_missing_column_is_400_and_stores_nothing(practice_a, finance_a, api_client_for):
    response = api_client_for(finance_a).post(
        "/api/uploads/",
        {"file": csv_upload(), "practice": practice_a.slug, "mapping": json.dumps({"sku": "Part No"})},
    )

    assert response.status_code == 400
    assert "'Part No' chosen for SKU is not in the header row" in response.json()["detail"]
    assert PurchaseUpload.objects.count() == 0


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        pytest.param({"colour": "Vendor"}, "Unknown field 'colour'", id="unknown_field"),
        pytest.param("{not json", "Expected a JSON object", id="not_json"),
        pytest.param(json.dumps({"sku": 7}), "Expected a JSON object", id="not_text"),
    ],
)
def test_post_with_a_malformed_mapping_is_400(practice_a, finance_a, api_client_for, mapping, message):
    body = {"file": csv_upload(), "practice": practice_a.slug, "mapping": mapping}
    if isinstance(mapping, dict):
        body["mapping"] = json.dumps(mapping)

    response = api_client_for(finance_a).post("/api/uploads/", body)

    assert response.status_code == 400
    assert message in json.dumps(response.json())
    assert PurchaseUpload.objects.count() == 0


def test_mapping_away_a_required_field_is_refused_naming_it(practice_a, finance_a, api_client_for):
    response = api_client_for(finance_a).post(
        "/api/uploads/", {"file": csv_upload(), "practice": practice_a.slug, "mapping": json.dumps({"vendor_name": ""})}
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The upload cannot start without a column for vendor")


def test_reprocess_naming_a_missing_column_is_400_and_changes_nothing(acme, practice_a, finance_a, api_client_for):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    before = lines_of(upload)

    response = api_client_for(finance_a).post(
        f"/api/uploads/{upload.public_id}/reprocess/", {"mapping": {"sku": "Nope"}}, format="json"
    )

    assert response.status_code == 400
    upload.refresh_from_db()
    assert (upload.status, lines_of(upload), upload.mapping_requested) == ("done", before, {})


def test_reprocess_while_in_flight_is_409(practice_a, finance_a, api_client_for):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload(), enqueue=False)

    response = api_client_for(finance_a).post(f"/api/uploads/{upload.public_id}/reprocess/", {}, format="json")

    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]


def test_reprocess_of_a_failed_upload_whose_file_was_uploaded_again_is_409(
    practice_a, finance_a, api_client_for, django_capture_on_commit_callbacks
):
    content = csv_rows("03/02/2026,Acme Medical,9,1.00,9.00", header="Widget,Gadget,Sprocket,Cog,Flange")
    failed = process(practice_a, finance_a, content)
    mapping = {"purchase_date": "Widget", "vendor_name": "Gadget", "quantity": "Sprocket", "unit_price": "Cog"}
    again = process(practice_a, finance_a, content, mapping=mapping)

    response = api_client_for(finance_a).post(
        f"/api/uploads/{failed.public_id}/reprocess/", {"mapping": mapping}, format="json"
    )

    assert (failed.status, again.status, response.status_code) == ("failed", "done", 409)
    assert response.json()["upload_id"] == str(again.public_id)


def test_reprocess_a_failed_upload_with_the_header_row_chosen(
    practice_a, finance_a, api_client_for, django_capture_on_commit_callbacks
):
    content = b"Alpha,Beta,Gamma,Delta\r\nWidget,Gadget,Sprocket,Cog\r\n03/02/2026,Acme Medical,9,1.00\r\n"
    failed = process(practice_a, finance_a, content)
    mapping = {"purchase_date": "Widget", "vendor_name": "Gadget", "quantity": "Sprocket", "unit_price": "Cog"}

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(finance_a).post(
            f"/api/uploads/{failed.public_id}/reprocess/", {"mapping": mapping, "header_row": 2}, format="json"
        )

    assert response.status_code == 202
    failed.refresh_from_db()
    assert (failed.status, failed.header_row, failed.rows_accepted) == ("done", 2, 1)


@pytest.mark.parametrize(
    ("role", "in_practice_a", "expected"),
    [
        pytest.param(Role.VIEWER, True, 403, id="viewer"),
        pytest.param(Role.EXECUTIVE, True, 403, id="executive"),
        pytest.param(Role.FINANCE, False, 404, id="finance_of_another_practice"),
        pytest.param(Role.COALITION_EXECUTIVE, False, 403, id="coalition_executive"),
        pytest.param(Role.COALITION_ADMIN, False, 202, id="coalition_admin"),
    ],
)
def test_reprocess_answers_by_the_role_table(
    practice_a, practice_b, finance_a, make_member, api_client_for, role, in_practice_a, expected
):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))
    coalition = role in {Role.COALITION_EXECUTIVE, Role.COALITION_ADMIN}
    user = make_member(role, None if coalition else (practice_a if in_practice_a else practice_b))

    response = api_client_for(user).post(f"/api/uploads/{upload.public_id}/reprocess/", {}, format="json")

    assert response.status_code == expected
    upload.refresh_from_db()
    assert upload.status == ("queued" if expected == 202 else "done") or expected == 202


def test_a_reprocess_that_fails_leaves_the_upload_failed_with_no_lines_and_figures_without_them(
    acme, practice_a, finance_a, monkeypatch, django_capture_on_commit_callbacks
):
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=RIGHT_HEADER))
    assert SavingsSummary.objects.filter(practice=practice_a).exists()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire at /srv/gpo/media/uploads/1/abc")

    monkeypatch.setattr(upload_services, "_rejected_rows_insert", broken)
    with django_capture_on_commit_callbacks(execute=True):
        upload_reprocess(upload=upload, user=finance_a)

    upload.refresh_from_db()
    assert upload.status == "failed"
    assert upload.error == upload_services.UNEXPECTED_FAILURE
    assert "/srv" not in upload.error
    assert (upload.rows_accepted, upload.accepted_total, upload.warnings) == (0, None, [])
    assert not PurchaseLine.objects.filter(upload=upload).exists()
    assert not SavingsSummary.objects.filter(practice=practice_a).exists()


def test_an_interrupt_while_processing_still_ends_the_upload_failed(practice_a, finance_a, monkeypatch):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload(), enqueue=False)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(upload_services.ingest, "ingest_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        upload_process(upload_id=upload.id, practice_id=practice_a.id)

    upload.refresh_from_db()
    assert upload.status == "failed"


# --- import_purchases ---------------------------------------------------------------------------------------------


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_purchases", *args, stdout=out)
    return out.getvalue()


def test_import_purchases_prints_the_warnings(acme, practice_a, tmp_path: Path):
    path = tmp_path / "march.csv"
    path.write_bytes(csv_rows(*ACME_ROWS, header=ODD_HEADER))

    output = _run(str(path), "--practice", practice_a.slug)

    assert "warnings (1):" in output
    assert "  [item_number_missing] No column was recognised as the vendor item number; 3 lines" in output
    assert "  purchase_date: Invoice Date (exact)" in output


def test_import_purchases_takes_the_mapping_with_repeatable_map_options(acme, practice_a, tmp_path: Path):
    path = tmp_path / "march.csv"
    path.write_bytes(csv_rows(*ACME_ROWS, header=ODD_HEADER))

    output = _run(str(path), "--practice", practice_a.slug, "--map", "sku=Ref", "--map", "uom=")

    upload = PurchaseUpload.objects.get()
    assert upload.column_mapping["sku"] == "Ref"
    assert "uom" not in upload.column_mapping
    assert "warnings" not in output
    assert PurchaseLine.objects.filter(upload=upload, status="overcharged").count() == 2


@pytest.mark.parametrize(
    ("option", "message"),
    [
        pytest.param("sku", "--map expects FIELD=HEADER, got 'sku'", id="no_equals"),
        pytest.param("colour=Ref", "--map: unknown field 'colour'", id="unknown_field"),
        pytest.param("sku=Nope", "'Nope' chosen for SKU is not in the header row", id="missing_column"),
    ],
)
def test_import_purchases_refuses_a_bad_map_option_clearly(acme, practice_a, tmp_path: Path, option, message):
    path = tmp_path / "march.csv"
    path.write_bytes(csv_rows(*ACME_ROWS, header=ODD_HEADER))

    with pytest.raises(CommandError, match=message):
        _run(str(path), "--practice", practice_a.slug, "--map", option)
    assert PurchaseUpload.objects.count() == 0


# --- no false alarms on real and demo files -------------------------------------------------------------------------


@pytest.mark.slow
def test_real_scms_history_raises_only_the_warnings_that_are_true(real_data: Path, practice_a, finance_a):
    """2006-2015 deliveries from vendors outside this catalog: said, and nothing about the columns."""
    upload = process(practice_a, finance_a, (real_data / "scms_delivery_history.csv").read_bytes(), name="scms.csv")

    assert upload.status == "done"
    assert codes(upload) == ["no_vendor_in_catalog", "dates_out_of_range"]
    assert "10,324 lines are dated more than 10 years ago (earliest 2006-05-" in upload.warnings[1]["message"]
    assert "guess" not in upload.column_confidence.values()
