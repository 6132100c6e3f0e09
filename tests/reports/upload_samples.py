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

# Acme's items as a practice's AP export lists them, the item number under a header no system agrees on.
ACME_ROWS = (
    "03/02/2026,Acme Medical,AC-100,Contrast 100 ml,10,EA,92.00,920.00,INV-901",
    "03/02/2026,Acme Medical,AC-200,Injector syringe,4,EA,15.50,62.00,INV-901",
    "03/09/2026,Acme Medical,AC-100,Contrast 100 ml,5,EA,80.00,400.00,INV-902",
    "03/11/2026,Other Supply Co,ZZ-1,Paper towels,3,CS,20.00,60.00,INV-77",
)
ODD_HEADER = "Invoice Date,Vendor,Ref,Description,Qty,UOM,Unit Price,Extended,Invoice"
RIGHT_HEADER = "Invoice Date,Vendor,Item #,Description,Qty,UOM,Unit Price,Extended,Invoice"

# The columns of the real SCMS delivery history (../shared/data/real) as they must be read: Pack Price is the unit
# price (quantities count packs), and no column holds an item number.
SCMS_MAPPING = {
    "purchase_date": "Delivered to Client Date",
    "vendor_name": "Vendor",
    "description": "Item Description",
    "quantity": "Line Item Quantity",
    "uom": "Unit of Measure (Per Pack)",
    "unit_price": "Pack Price",
    "extended_amount": "Line Item Value",
    "po_number": "PO / SO #",
}

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


def _xlsb_record(kind: int, payload: bytes = b"") -> bytes:
    """One BIFF12 record: its type and size as 7-bit groups (high bit: more follows), then the payload."""
    header = bytes([kind & 0x7F | 0x80, kind >> 7]) if kind >= 0x80 else bytes([kind])
    size, length = bytearray(), len(payload)
    while True:
        size.append(length & 0x7F | (0x80 if length > 0x7F else 0))
        length >>= 7
        if not length:
            break
    return header + bytes(size) + payload


def _wide(text: str) -> bytes:
    import struct

    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb_bytes(rows: list[list[str]], sheet: str = "Purchases") -> bytes:
    """A minimal Excel binary workbook (.xlsb, MS-XLSB) with one sheet of text cells, as Excel lays out its parts."""
    import io
    import struct
    import zipfile

    book = _xlsb_record(0x83) + _xlsb_record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide(sheet))
    book += _xlsb_record(0x90) + _xlsb_record(0x84)
    width = max(len(row) for row in rows)
    cells = _xlsb_record(0x81) + _xlsb_record(0x94, struct.pack("<IIII", 0, len(rows) - 1, 0, width - 1))
    cells += _xlsb_record(0x91)
    for number, row in enumerate(rows):
        cells += _xlsb_record(0x00, struct.pack("<I", number))
        for column, text in enumerate(row):
            cells += _xlsb_record(0x06, struct.pack("<II", column, 0) + _wide(text))
    cells += _xlsb_record(0x92) + _xlsb_record(0x82)
    main = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="bin" ContentType="{main}"/><Override PartName="/xl/workbook.bin" '
            f'ContentType="{main}"/></Types>',
        )
        package.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            f'Id="rId1" Type="{relationships}/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        )
        package.writestr(
            "xl/_rels/workbook.bin.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            f'Id="rId1" Type="{relationships}/worksheet" Target="worksheets/sheet1.bin"/></Relationships>',
        )
        package.writestr("xl/workbook.bin", book)
        package.writestr("xl/worksheets/sheet1.bin", cells)
    return buffer.getvalue()
