"""Backup and restore with the database's own tools (issue 15): SQLite's online backup API or pg_dump/pg_restore,
plus the media folder. The restored copy reproduces every practice's savings figures and the kept original files.

Runs on the database the suite runs on: SQLite by default, PostgreSQL under `DATABASE_URL=postgres://...` (skipped
with the reason where pg_dump/pg_restore are not installed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import CommandError, call_command

from gpo.members.models import Practice, Role
from reports.models import PurchaseLine, PurchaseUpload, SavingsSummary
from reports.selectors.savings import savings_get
from reports.services.uploads import upload_create
from tests.reports.conftest import acme  # noqa: F401  the contract the purchases reconcile against
from tests.reports.upload_samples import csv_rows, csv_upload

ON_POSTGRES = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


@pytest.fixture
def database_tools() -> None:
    if ON_POSTGRES and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore are not installed: install the PostgreSQL client tools")


def _figures(user: Any) -> dict[str, Any]:
    """Every practice's savings figures, and the coalition's, as the API gives them."""
    figures = {practice.slug: savings_get(user=user, practice=practice.slug) for practice in Practice.objects.all()}
    figures["*"] = savings_get(user=user)
    return json.loads(json.dumps(figures, default=str))


def _media(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def purchases(acme, practice_a, practice_b, make_member):  # noqa: F811
    """Two practices' uploads, processed end to end: lines, summaries and the kept original files."""
    upload_create(practice=practice_a, user=make_member(Role.FINANCE, practice_a), file=csv_upload())
    second = csv_rows(
        "2026-03-02,Acme Medical,AC-100,Syringe,3,EA,85.00,255.00,INV-B1",
        "2026-03-03,Acme Medical,AC-200,Tubing,10,EA,15.00,150.00,INV-B2",
        "2026-03-04,Nobody Supply,X-1,Gloves,1,EA,9.99,9.99,INV-B3",
    )
    upload_create(practice=practice_b, user=make_member(Role.FINANCE, practice_b), file=csv_upload(second, "b.csv"))
    assert PurchaseUpload.objects.filter(status=PurchaseUpload.Status.DONE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_reproduces_every_practices_figures_and_files(
    purchases, database_tools, make_member, tmp_path, settings
):
    admin = make_member(Role.COALITION_ADMIN)
    before = _figures(admin)
    media_before = _media(Path(settings.MEDIA_ROOT))
    assert before["*"]["spend"] != "0.00"
    assert before["*"]["savings"] != "0.00"
    assert len(media_before) == 2

    call_command("backup", str(tmp_path / "backup"))

    # The disaster: every upload, line and summary gone, the media folder wiped.
    PurchaseLine.objects.all().delete()
    SavingsSummary.objects.all().delete()
    PurchaseUpload.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT)
    cache.clear()  # the figures cache would still answer the lost figures
    assert _figures(admin) != before

    call_command("restore", str(tmp_path / "backup"))

    assert _figures(admin) == before
    assert _media(Path(settings.MEDIA_ROOT)) == media_before
    assert PurchaseLine.objects.count() > 0


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_backup_whose_files_changed(purchases, database_tools, tmp_path):
    call_command("backup", str(tmp_path / "backup"))
    kept = next(path for path in (tmp_path / "backup" / "media").rglob("*") if path.is_file())
    kept.write_bytes(b"tampered")
    lines = PurchaseLine.objects.count()

    with pytest.raises(CommandError, match="differs from the one the backup recorded"):
        call_command("restore", str(tmp_path / "backup"))
    assert PurchaseLine.objects.count() == lines


@pytest.mark.django_db
def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path))


@pytest.mark.django_db
def test_restore_names_a_folder_that_is_no_backup(tmp_path):
    with pytest.raises(CommandError, match="not a backup folder"):
        call_command("restore", str(tmp_path))
