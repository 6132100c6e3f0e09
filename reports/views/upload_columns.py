"""Pages: which column holds what. Every column with its guessed field and how sure the guess is, the header row to
choose when it was not found, and reprocessing an upload with corrected columns (DESIGN.md §5 and §7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from gpo.errors import ApplicationError, ConflictError
from gpo.xlsx import xlsx_download
from reports import ingest, upload_template
from reports.selectors.uploads import upload_get
from reports.services.uploads import upload_reprocess, upload_stored_preview

SAMPLES_SHOWN = 3
REQUIRED = ("purchase_date", "vendor_name")


def field_choices() -> list[tuple[str, str]]:
    """(field, label) for the column selects; the required ones say so."""
    labels = []
    for name in ingest.FIELDS:
        label = ingest.FIELD_LABELS[name]
        if name in REQUIRED:
            label += " (required)"
        elif name in ingest.NUMBER_FIELDS:
            label += " (two of three numbers required)"
        labels.append((name, label[0].upper() + label[1:]))
    return labels


def column_rows(found: ingest.Preview, chosen: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every column of the header row: its text, first values, the field it holds (chosen, else guessed) and how
    sure the guess was."""
    mapping = dict(chosen) if chosen is not None else found.mapping
    field_at: dict[int, str] = {}
    for name, header in mapping.items():
        if header and header in found.headers:
            field_at.setdefault(found.headers.index(header), name)
    rows = []
    for index, header in enumerate(found.headers):
        name = field_at.get(index, "")
        guessed = found.mapping.get(name) == header
        rows.append(
            {
                "index": index,
                "header": header,
                "samples": [row[index] for row in found.sample_rows if index < len(row) and row[index].strip()][
                    :SAMPLES_SHOWN
                ],
                "field": name,
                "confidence": found.confidence.get(name, "") if name and guessed else ("chosen" if name else ""),
            }
        )
    return rows


def chosen_mapping(post: Mapping[str, str], headers: list[str]) -> tuple[dict[str, str], str]:
    """The field chosen for each column of the form (field -> header) and a message when the choice cannot start:
    a field chosen for two columns, or a required field without a column."""
    chosen: dict[str, str] = {}
    twice = []
    for index, header in enumerate(headers):
        name = post.get(f"col_{index}", "")
        if name not in ingest.FIELDS:
            continue
        if name in chosen:
            twice.append(ingest.FIELD_LABELS[name])
        else:
            chosen[name] = header
    if twice:
        return chosen, f"Each field can come from one column only: {', '.join(sorted(set(twice)))} is chosen twice."
    missing = ingest.missing_fields(chosen)
    if missing:
        return chosen, f"Choose a column for {' and '.join(missing)} before the upload can start."
    return chosen, ""


def corrections_of(chosen: Mapping[str, str], detected: Mapping[str, str]) -> dict[str, str]:
    """What the user changed from the detected mapping: field -> header, "" for a field taken away."""
    names = set(chosen) | set(detected)
    return {
        name: chosen.get(name, "")
        for name in ingest.FIELDS
        if name in names and chosen.get(name, "") != detected.get(name, "")
    }


def columns_used(upload: Any) -> list[tuple[str, str, str]]:
    """(field label, column, confidence) of the mapping an upload was read with, in field order."""
    mapping, confidence = upload.column_mapping or {}, upload.column_confidence or {}
    return [
        (ingest.FIELD_LABELS[name], mapping[name], confidence.get(name, "exact"))
        for name in ingest.FIELDS
        if name in mapping
    ]


def missing_columns(found: ingest.Preview) -> dict[str, Any]:
    """What the recognised mapping lacks, for the page to say: required fields, and any item number."""
    return {
        "missing": ingest.missing_fields(found.mapping),
        "no_item_number": "sku" not in found.mapping and "mfr_part_number" not in found.mapping,
    }


def header_row_param(value: str | None) -> int | None:
    """A header row number from a form or query string (None when absent or not a positive number)."""
    return int(value) if value and value.isdigit() and int(value) > 0 else None


@login_required
@require_http_methods(["GET"])
def upload_columns_page(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    """An upload's columns as read from its kept original, to correct them and reprocess."""
    upload = upload_get(user=request.user, public_id=upload_id)
    return _columns_render(request, upload, header_row=header_row_param(request.GET.get("header_row")))


def _columns_render(
    request: HttpRequest,
    upload: Any,
    *,
    header_row: int | None,
    chosen: Mapping[str, str] | None = None,
    error: str = "",
) -> HttpResponse:
    try:
        found = upload_stored_preview(upload=upload, user=request.user, header_row=header_row)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("upload-page", upload_id=upload.public_id)
    context = {
        "upload": upload,
        "preview": found,
        "columns": column_rows(found, chosen),
        "field_choices": field_choices(),
        **missing_columns(found),
        "error": error,
    }
    return render(request, "reports/uploads/columns.html", context, status=400 if error else 200)


@login_required
@require_POST
def upload_reprocess_page(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    """Reprocess an upload from its kept original with the columns chosen on its columns page."""
    upload = upload_get(user=request.user, public_id=upload_id)
    header_row = header_row_param(request.POST.get("header_row"))
    try:
        shown = upload_stored_preview(upload=upload, user=request.user, header_row=header_row)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("upload-page", upload_id=upload.public_id)
    chosen, problem = chosen_mapping(request.POST, shown.headers)
    if problem:
        return _columns_render(request, upload, header_row=header_row, chosen=chosen, error=problem)
    try:
        upload_reprocess(
            upload=upload,
            user=request.user,
            mapping=corrections_of(chosen, shown.mapping),
            header_row=header_row or (None if shown.header_found else shown.header_row),
        )
    except ConflictError as exc:
        messages.warning(request, exc.message)
        return redirect("upload-page", upload_id=exc.extra["upload_id"])
    except ApplicationError as exc:
        return _columns_render(request, upload, header_row=header_row, chosen=chosen, error=exc.message)
    messages.info(request, f"Processing {upload.original_filename} again with the columns you chose.")
    return redirect("upload-page", upload_id=upload.public_id)


@login_required
@require_http_methods(["GET"])
def upload_template_page(request: HttpRequest, file_format: str) -> HttpResponse:
    """The purchase-file template: one column per field under headers read exactly, and an example row."""
    if file_format == "xlsx":
        return xlsx_download(upload_template.template_xlsx(), filename="purchase-upload-template.xlsx")
    response = HttpResponse(upload_template.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="purchase-upload-template.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path("uploads/template.xlsx", upload_template_page, {"file_format": "xlsx"}, name="upload-template-xlsx"),
    path("uploads/template.csv", upload_template_page, {"file_format": "csv"}, name="upload-template-csv"),
    path("uploads/<uuid:upload_id>/columns", upload_columns_page, name="upload-columns"),
    path("uploads/<uuid:upload_id>/reprocess", upload_reprocess_page, name="upload-reprocess"),
]
