"""The `import_purchases` command: the upload pipeline from a shell, with a summary and clear failures."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from reports.models import PurchaseLine, PurchaseUpload
from tests.reports.upload_samples import PNG_BYTES, PURCHASES_CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchases_file(tmp_path):
    path = tmp_path / "march.csv"
    path.write_bytes(PURCHASES_CSV)
    return path


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_purchases", *args, stdout=out)
    return out.getvalue()


def test_import_prints_the_upload_summary(purchases_file, practice_a):
    output = _run(str(purchases_file), "--practice", practice_a.slug)
    upload = PurchaseUpload.objects.get()
    assert upload.status == PurchaseUpload.Status.DONE
    assert upload.uploaded_by is None
    assert PurchaseLine.objects.filter(upload=upload).count() == 2
    assert f"upload {upload.id}: march.csv for alpha-radiology" in output
    assert "status: done" in output
    assert "rows total: 3  accepted: 2  rejected: 1  skipped: 0" in output
    assert "file_total: 36.00  accepted_total: 35.00" in output
    assert "  4\tDate\t" in output


def test_import_runs_synchronously_even_with_a_broker(purchases_file, practice_a, monkeypatch):
    monkeypatch.setattr("reports.tasks.upload_process.delay", lambda *a: pytest.fail("enqueued"))
    _run(str(purchases_file), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.get().status == PurchaseUpload.Status.DONE


def test_unknown_practice_fails_clearly(purchases_file):
    with pytest.raises(CommandError, match="Unknown practice 'nope'"):
        _run(str(purchases_file), "--practice", "nope")


def test_unreadable_file_fails_clearly(tmp_path, practice_a):
    with pytest.raises(CommandError, match="no such file"):
        _run(str(tmp_path / "missing.csv"), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.count() == 0


def test_not_a_spreadsheet_fails_clearly(tmp_path, practice_a):
    path = tmp_path / "picture.csv"
    path.write_bytes(PNG_BYTES)
    with pytest.raises(CommandError):
        _run(str(path), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.count() == 0


def test_duplicate_file_names_the_first_upload(purchases_file, practice_a):
    _run(str(purchases_file), "--practice", practice_a.slug)
    first = PurchaseUpload.objects.get()
    with pytest.raises(CommandError, match=f"as upload #{first.id}"):
        _run(str(purchases_file), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.count() == 1
