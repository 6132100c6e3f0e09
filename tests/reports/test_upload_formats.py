"""Files as finance teams really save them (issue 12): each ends as an accepted upload or a clear refusal, never a
library's words, a server path, or an upload left in progress."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from gpo.errors import ApplicationError
from reports import ingest
from reports.ingest import DAMAGED_MESSAGE, PASSWORD_MESSAGE, IngestError, ingest_file
from reports.models import PurchaseLine, PurchaseUpload
from reports.services.uploads import upload_create, upload_process
from tests.reports.upload_samples import csv_upload, xlsb_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["Invoice Date", "Vendor", "Item #", "Qty", "Unit Price"],
    ["03/02/2026", "Acme Medical", "AC-100", "2", "5.00"],
    ["03/03/2026", "Acme Medical", "AC-200", "1", "7.50"],
]
IN_PROGRESS = {"queued", "parsing", "reconciling"}


def process(practice: Any, content: bytes, name: str) -> PurchaseUpload:
    upload = upload_create(practice=practice, user=None, file=csv_upload(content, name=name), enqueue=False)
    return upload_process(upload_id=upload.id, practice_id=practice.id)


def accepted(upload: PurchaseUpload) -> list[tuple[int, str, str]]:
    lines = PurchaseLine.objects.filter(upload=upload).order_by("row_number")
    return list(lines.values_list("row_number", "sku", "vendor_name"))


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def repackaged(content: bytes, rename: Any, rewrite: Any = None) -> bytes:
    """A copy of a zip package with each part renamed (and the package parts' text rewritten)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if rewrite is not None and info.filename in ("[Content_Types].xml", "_rels/.rels"):
                data = rewrite(data)
            out.writestr(rename(info.filename), data)
    return buffer.getvalue()


# --- accepted ---------------------------------------------------------------------------------------------------


def test_csv_with_cr_only_line_ends_is_read_line_by_line(practice_a):
    content = "\r".join(",".join(row) for row in ROWS).encode() + b"\r"

    upload = process(practice_a, content, "mac.csv")

    assert upload.status == "done"
    assert accepted(upload) == [(2, "AC-100", "Acme Medical"), (3, "AC-200", "Acme Medical")]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_unicode_text_utf16_with_a_byte_order_mark_is_read(practice_a, encoding):
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    text = "\r\n".join("\t".join(row) for row in [*ROWS, ["03/04/2026", "Côte Médical", "É-1", "1", "1.00"]])

    upload = process(practice_a, bom + (text + "\r\n").encode(encoding), "unicode text.txt")

    assert upload.status == "done"
    assert accepted(upload)[-1] == (4, "É-1", "Côte Médical")
    assert upload.file_format == "csv"


def test_xlsb_binary_workbook_is_read(practice_a):
    upload = process(practice_a, xlsb_bytes(ROWS), "march.xlsb")

    assert (upload.status, upload.file_format, upload.sheet_name) == ("done", "xlsb", "Purchases")
    assert accepted(upload) == [(2, "AC-100", "Acme Medical"), (3, "AC-200", "Acme Medical")]


def test_xlsx_with_backslashes_in_its_part_names_is_read_and_its_formulas_still_checked(practice_a):
    rows = [ROWS[0], ROWS[1], ["03/03/2026", "Acme Medical", "AC-200", "=1+1", "7.50"]]
    content = repackaged(xlsx_bytes(rows), lambda name: name.replace("/", "\\"))
    assert "xl\\workbook.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist()

    upload = process(practice_a, content, "backslash.xlsx")

    assert (upload.status, upload.rows_accepted) == ("done", 1)
    assert upload.rejected_rows.get().reason == "quantity is a formula with no saved value"


@pytest.mark.parametrize("folder", ["book/", ""], ids=["own_folder", "package_root"])
def test_xlsx_whose_workbook_sits_outside_xl_is_read(practice_a, folder):
    def rename(name: str) -> str:
        return folder + name[3:] if name.startswith("xl/") else name

    def rewrite(data: bytes) -> bytes:
        return data.replace(b"/xl/", f"/{folder}".encode()).replace(b'Target="xl/', f'Target="{folder}'.encode())

    content = repackaged(xlsx_bytes(ROWS), rename, rewrite)
    assert not any(name.startswith("xl/") for name in zipfile.ZipFile(io.BytesIO(content)).namelist())

    upload = process(practice_a, content, "elsewhere.xlsx")

    assert (upload.status, upload.rows_accepted) == ("done", 2)


# --- clear refusals ----------------------------------------------------------------------------------------------


def test_password_protected_ods_is_named_as_such(practice_a):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", b"\x8b\x13encrypted bytes")
        package.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
            'manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>',
        )

    with pytest.raises(ApplicationError) as refused:
        upload_create(practice=practice_a, user=None, file=csv_upload(buffer.getvalue(), name="budget.ods"))

    assert refused.value.message == PASSWORD_MESSAGE
    assert PurchaseUpload.objects.count() == 0


def test_password_protected_office_file_is_named_as_such(practice_a):
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64

    with pytest.raises(ApplicationError) as refused:
        upload_create(practice=practice_a, user=None, file=csv_upload(ole2, name="locked.xlsx"))

    assert refused.value.message == PASSWORD_MESSAGE


@pytest.mark.parametrize(
    ("reader_says", "message"),
    [
        pytest.param("calamine error: Xls error: Workbook is password protected", PASSWORD_MESSAGE, id="password"),
        pytest.param("calamine error: Xls error: Invalid OLE signature", DAMAGED_MESSAGE, id="malformed"),
    ],
)
def test_reader_errors_reach_the_user_as_plain_words_without_paths(tmp_path, monkeypatch, reader_says, message):
    import fastexcel

    path = tmp_path / "march.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))

    def failing(source: str) -> None:
        raise RuntimeError(f"{reader_says}\nContext:\n    0: could not open {source}")

    monkeypatch.setattr(fastexcel, "read_excel", failing)

    with pytest.raises(IngestError) as refused:
        ingest_file(path)

    assert str(refused.value) == message
    assert str(tmp_path) not in str(refused.value)


class PanicException(BaseException):
    """What pyo3 raises when Rust code panics (pyo3_runtime.PanicException is a BaseException)."""


def _panicking(source: str) -> None:
    raise PanicException("called `Option::unwrap()` on a `None` value at src/xls.rs:1234")


def test_a_rust_panic_in_the_reader_is_a_plain_refusal(tmp_path, monkeypatch):
    import fastexcel

    path = tmp_path / "odd.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    monkeypatch.setattr(fastexcel, "read_excel", _panicking)

    with pytest.raises(IngestError) as refused:
        ingest_file(path)

    assert str(refused.value) == DAMAGED_MESSAGE


def test_a_rust_panic_while_processing_fails_the_upload_and_leaves_nothing_in_progress(practice_a, monkeypatch):
    import fastexcel

    upload = upload_create(
        practice=practice_a, user=None, file=csv_upload(xlsx_bytes(ROWS), name="odd.xlsx"), enqueue=False
    )
    monkeypatch.setattr(fastexcel, "read_excel", _panicking)

    processed = upload_process(upload_id=upload.id, practice_id=practice_a.id)

    assert processed.status == "failed"
    assert processed.error == DAMAGED_MESSAGE
    assert not PurchaseUpload.objects.filter(status__in=IN_PROGRESS).exists()


def test_import_purchases_reports_a_reader_panic_as_a_clear_error(practice_a, monkeypatch, tmp_path):
    import fastexcel

    path = tmp_path / "odd.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    monkeypatch.setattr(fastexcel, "read_excel", _panicking)

    with pytest.raises(CommandError, match="failed: The workbook could not be read"):
        call_command("import_purchases", str(path), "--practice", practice_a.slug, stdout=io.StringIO())
    assert PurchaseUpload.objects.get().status == "failed"


def test_a_damaged_workbook_is_refused_without_the_zip_librarys_words(practice_a):
    content = xlsx_bytes(ROWS)[:-200]  # the central directory cut off

    with pytest.raises(ApplicationError) as refused:
        upload_create(practice=practice_a, user=None, file=csv_upload(content, name="cut.xlsx"))

    assert refused.value.message in {DAMAGED_MESSAGE, ingest.DAMAGED_MESSAGE}
    assert "zip" not in refused.value.message.lower()


def test_a_header_row_without_data_rows_is_done_with_a_warning(practice_a):
    upload = process(practice_a, ",".join(ROWS[0]).encode() + b"\r\n", "empty export.csv")

    assert (upload.status, upload.rows_total) == ("done", 0)
    assert [warning["code"] for warning in upload.warnings] == ["no_data_rows"]
    assert upload.warnings[0]["message"].startswith("The header row (row 1) was found but there are no data rows")


def test_a_nul_character_in_a_header_is_refused_before_anything_is_stored(practice_a):
    rows = [["Invoice Date", "Ven\x00dor", "Item #", "Qty", "Unit Price"], *ROWS[1:]]

    upload = process(practice_a, xlsb_bytes(rows), "nul.xlsb")

    assert upload.status == "failed"
    assert upload.error.startswith("The header of column 2 contains a NUL character")
    assert upload.column_mapping == {}
    assert not PurchaseLine.objects.exists()


def test_a_nul_character_in_a_requested_mapping_is_a_400(practice_a, finance_a, api_client_for):
    response = api_client_for(finance_a).post(
        "/api/uploads/",
        {"file": csv_upload(), "practice": practice_a.slug, "mapping": '{"vendor_name": "Ven\\u0000dor"}'},
    )

    assert response.status_code == 400
    assert PurchaseUpload.objects.count() == 0


def test_nothing_is_left_in_progress_by_any_of_these_files(practice_a, monkeypatch, tmp_path: Path):
    for name, content in [
        ("mac.csv", b"\r".join(",".join(row).encode() for row in ROWS)),
        ("march.xlsb", xlsb_bytes(ROWS)),
        ("header only.csv", ",".join(ROWS[0]).encode()),
        ("nul.xlsb", xlsb_bytes([["Da\x00te", "Vendor"], ["03/02/2026", "Acme"]])),
    ]:
        process(practice_a, content, name)

    assert PurchaseUpload.objects.count() == 4
    assert not PurchaseUpload.objects.filter(status__in=IN_PROGRESS).exists()
