"""The append-only upload audit trail (SECURITY.md item 12)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.models import PurchaseUpload, UploadAuditEntry
from reports.services.uploads import upload_create, upload_delete

CSV = b"Date,Vendor,SKU,Qty,Unit Price\n2026-03-01,Acme,1,2,2.50\n,Acme,2,1,1.00\n"


@pytest.mark.django_db
def test_upload_leaves_received_and_processed_entries_with_counts_that_add_up(
    finance_a, practice_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = upload_create(practice=practice_a, user=finance_a, file=SimpleUploadedFile("buys.csv", CSV))
    entries = list(UploadAuditEntry.objects.filter(upload_id_recorded=upload.id).order_by("id"))
    assert [e.action for e in entries] == ["received", "processed"]
    processed = entries[1]
    assert (processed.rows_total, processed.rows_accepted, processed.rows_rejected) == (2, 1, 1)
    assert processed.rows_accepted + processed.rows_rejected == processed.rows_total
    assert entries[0].user == finance_a
    assert (entries[0].original_filename, entries[0].sha256) == ("buys.csv", upload.sha256)
    assert entries[0].stored_name == upload.original_file.name


@pytest.mark.django_db
def test_deleting_an_upload_keeps_its_audit_and_adds_a_deleted_entry(
    finance_a, practice_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = upload_create(practice=practice_a, user=finance_a, file=SimpleUploadedFile("buys.csv", CSV))
    upload_id = upload.id
    upload_delete(upload=upload, user=finance_a)
    assert not PurchaseUpload.objects.filter(id=upload_id).exists()
    actions = list(UploadAuditEntry.objects.filter(upload_id_recorded=upload_id).values_list("action", flat=True))
    assert sorted(actions) == ["deleted", "processed", "received"]


@pytest.mark.django_db
def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin(client, coalition_admin, finance_a, practice_a):
    upload = upload_create(practice=practice_a, user=finance_a, file=SimpleUploadedFile("buys.csv", CSV))
    entry = UploadAuditEntry.objects.filter(upload_id_recorded=upload.id).first()
    client.force_login(coalition_admin)
    coalition_admin.is_superuser = coalition_admin.is_staff = True
    coalition_admin.save()
    assert client.get("/admin/reports/uploadauditentry/").status_code == 200
    assert client.post(f"/admin/reports/uploadauditentry/{entry.id}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/reports/uploadauditentry/add/").status_code == 403
    assert UploadAuditEntry.objects.filter(id=entry.id).exists()
