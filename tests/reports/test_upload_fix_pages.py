"""Upload pages of the fix loop: warnings above the results, every column's guess shown and correctable, reprocess."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from reports.models import PurchaseUpload
from reports.services.uploads import upload_create, upload_process
from tests.reports.test_upload_fix_loop import ACME_ROWS, ODD_HEADER, acme  # noqa: F401 (fixture)
from tests.reports.upload_samples import csv_rows, csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_a(finance_a: Any) -> Client:
    client = Client()
    client.force_login(finance_a)
    return client


def process(practice: Any, user: Any, content: bytes, name: str = "march.csv") -> PurchaseUpload:
    upload = upload_create(practice=practice, user=user, file=csv_upload(content, name=name), enqueue=False)
    return upload_process(upload_id=upload.id, practice_id=practice.id)


def test_warnings_are_shown_above_the_results(acme, browser_a, practice_a, finance_a):  # noqa: F811
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER))

    html = browser_a.get(f"/uploads/{upload.public_id}/").content.decode()

    assert 'data-warning-code="item_number_missing"' in html
    assert "No column was recognised as the vendor item number; 3 lines" in html
    assert html.index('id="warnings-heading"') < html.index("Data rows") < html.index('id="lines-heading"')


def test_a_clean_upload_shows_no_warning_panel(acme, browser_a, practice_a, finance_a):  # noqa: F811
    upload = process(practice_a, finance_a, csv_rows(*ACME_ROWS, header=ODD_HEADER.replace("Ref", "Item #")))

    assert upload.warnings == []
    assert 'id="warnings-heading"' not in browser_a.get(f"/uploads/{upload.public_id}/").content.decode()
