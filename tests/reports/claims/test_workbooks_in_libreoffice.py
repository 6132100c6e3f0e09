"""The claim workbook and the savings report open in LibreOffice (converted to PDF), where LibreOffice is installed.

CI has no LibreOffice: the tests skip there with the reason. Locally: `apt-get install libreoffice-calc-nogui`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from reports.claim_workbook import claim_workbook
from reports.selectors.claims import claim_document
from reports.services.claims import claim_create

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
]


def _to_pdf(workbook: Path) -> bytes:
    """Convert with a private LibreOffice profile (no clash with a running instance); the PDF's bytes."""
    assert SOFFICE is not None
    profile = workbook.parent / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workbook.parent),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return workbook.with_suffix(".pdf").read_bytes()


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_claim_workbook_converts_to_pdf(overcharges, practice_a, finance_a, tmp_path):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    path = tmp_path / "claim.xlsx"
    path.write_bytes(claim_workbook(claim_document(claim, today=date(2026, 4, 2))))

    pdf = _to_pdf(path)

    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) == 2  # the cover sheet and the lines, each one landscape page wide


def test_savings_report_converts_to_pdf(overcharges, practice_a, tmp_path):
    path = tmp_path / "savings.xlsx"
    call_command(
        "savings_report", "--practice", practice_a.slug, "--start", "2026-01-01", "--end", "2026-12-31", "--out", path
    )

    pdf = _to_pdf(path)

    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) >= 2
