"""The downloadable purchase-file template and the upload page's note on the columns and formats it reads."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.test import Client

from reports.ingest import ingest_file
from reports.upload_template import TEMPLATE_HEADERS, template_csv, template_xlsx

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "make"), [("template.csv", template_csv), ("template.xlsx", template_xlsx)])
def test_the_template_is_read_back_with_every_field_exact(tmp_path: Path, name, make) -> None:
    path = tmp_path / name
    path.write_bytes(make())

    result = ingest_file(path)

    assert result.mapping == TEMPLATE_HEADERS
    assert set(result.confidence.values()) == {"exact"}
    assert (result.rows_total, result.errors) == (1, [])
    line = result.lines.iloc[0]
    assert (line["vendor_name"], line["sku"], line["spend_cents"]) == ("GE Healthcare", "OMN350-100", 92_500)


def test_template_downloads_for_a_signed_in_member(finance_a) -> None:
    client = Client()
    client.force_login(finance_a)

    xlsx = client.get("/uploads/template.xlsx")
    csv = client.get("/uploads/template.csv")

    assert xlsx.status_code == csv.status_code == 200
    assert xlsx["Content-Disposition"] == 'attachment; filename="purchase-upload-template.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in next(sheet.iter_rows())] == list(TEMPLATE_HEADERS.values())
    assert csv.content.decode().splitlines()[0] == ",".join(TEMPLATE_HEADERS.values())


def test_template_needs_a_signed_in_user() -> None:
    assert Client().get("/uploads/template.csv").status_code == 302


def test_upload_page_says_which_columns_and_formats_it_reads(finance_a) -> None:
    client = Client()
    client.force_login(finance_a)

    html = client.get("/uploads/").content.decode()

    assert 'id="formats-heading"' in html
    assert "Purchase date <strong>(required)</strong>" in html
    assert 'SKU\n          <span class="muted">e.g. “Vendor Item Number”</span>' in html
    assert "Excel's “Unicode Text”" in html
    assert 'href="/uploads/template.xlsx"' in html
    assert 'href="/uploads/template.csv"' in html
