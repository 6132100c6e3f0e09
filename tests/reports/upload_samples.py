"""Small purchase files made the way finance tools export them, shared by the upload tests."""

from __future__ import annotations

import base64

from django.core.files.uploadedfile import SimpleUploadedFile

# Two accepted rows (one with the extended amount blank: spend = 2.5 x 4.00) and one rejected for its date.
PURCHASES_CSV = (
    b"Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice\r\n"
    b"2026-03-15,Acme Medical,00123,Nitrile gloves,10,EA,2.50,25.00,INV-1\r\n"
    b"2026-03-16,Acme Medical,456,Syringes,2.5,BX,4.00,,INV-2\r\n"
    b",Acme Medical,789,No date here,1,EA,1.00,1.00,INV-3\r\n"
)

# A 1x1 transparent PNG.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def csv_upload(content: bytes = PURCHASES_CSV, name: str = "march purchases.csv") -> SimpleUploadedFile:
    """An uploaded file as Django's request parsing hands it to a view."""
    return SimpleUploadedFile(name, content, content_type="text/csv")


def csv_rows(*rows: str, header: str = "Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice") -> bytes:
    """A csv file of the given data rows under a header row."""
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def purchases_xlsx() -> bytes:
    """A workbook as finance saves it: a summary sheet first, the purchases under a title row on a second sheet."""
    import io
    from datetime import date

    import openpyxl

    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "Summary"
    summary.append(["Prepared for the coalition"])
    sheet = workbook.create_sheet("Purchases")
    sheet.append(["Alpha Radiology - March purchases"])
    sheet.append(["Date", "Vendor", "SKU", "Description", "Qty", "UOM", "Unit Price", "Extended", "Invoice"])
    sheet.append([date(2026, 3, 15), "Acme Medical", "00123", "Nitrile gloves", 10, "EA", 2.5, 25, "INV-1"])
    sheet.append([date(2026, 3, 16), "Acme Medical", "456", "Syringes", 4, "BX", 4, None, "INV-2"])
    sheet.append([None, None, None, "Total", None, None, None, 25, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
