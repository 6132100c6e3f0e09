"""Pages: uploads (drop a file, check the mapping, watch it process, read the results)."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_POST

from gpo.errors import ApplicationError, ConflictError
from gpo.members.models import Practice
from gpo.members.rights import FORBIDDEN_MESSAGES, Right, has_right, right_require, scope_to_right
from gpo.members.scoping import current_practice, practice_get, practices_visible
from gpo.xlsx import Column, Sheet, Typed, wants_xlsx, workbook_bytes, xlsx_download
from reports import upload_template
from reports.drilldown import Drill, Scope
from reports.line_table import UPLOAD_COLUMNS, lines_sheet
from reports.models import PurchaseLine
from reports.periods import Period
from reports.selectors.lines import upload_line_totals
from reports.selectors.uploads import line_list, upload_get, upload_list
from reports.services.upload_recovery import upload_retry
from reports.services.uploads import upload_create, upload_delete, upload_preview
from reports.views.upload_columns import (
    chosen_mapping,
    column_rows,
    columns_used,
    corrections_of,
    field_choices,
    header_row_param,
    missing_columns,
)

SESSION_STAGED = "upload_staged"
LINES_PER_PAGE = 100
REJECTED_SHOWN = 500
LIST_SHOWN = 200
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")


class UploadFileForm(forms.Form):
    """The file a finance lead drops on the uploads page."""

    file = forms.FileField(label="Purchase file", help_text="xlsx, xlsm, xlsb, xls, ods, csv or tsv")
    practice = forms.ChoiceField(label="Practice")
    sheet = forms.CharField(label="Sheet", required=False, max_length=200, help_text="Blank: the first sheet")

    def __init__(self, *args: Any, practices: list[Practice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        practice_field = self.fields["practice"]
        assert isinstance(practice_field, forms.ChoiceField)
        practice_field.choices = [(p.slug, p.name) for p in practices]


def _practices_for_upload(user: Any) -> list[Practice]:
    """The practices the user may upload for (DESIGN §3 uploads right); 403 when there is none."""
    practices = [p for p in practices_visible(user).order_by("name") if has_right(user, p, Right.UPLOADS)]
    if not practices:
        raise PermissionDenied(FORBIDDEN_MESSAGES[Right.UPLOADS])
    return practices


def _staging_root() -> Path:
    root = Path(getattr(settings, "UPLOAD_STAGING_ROOT", "") or Path(tempfile.gettempdir()) / "gpo-upload-staging")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def _staged_path(token: str) -> Path:
    if not token.isalnum():
        raise Http404("No such staged file.")
    return _staging_root() / token


def _staged_discard(request: HttpRequest) -> None:
    entry = request.session.pop(SESSION_STAGED, None)
    if entry:
        _staged_path(entry["token"]).unlink(missing_ok=True)


@login_required
def upload_list_page(request: HttpRequest) -> HttpResponse:
    """The current practice's uploads, newest first, and the form to upload another."""
    practice = current_practice(request)
    if practice is not None:
        right_require(request.user, practice, Right.FIGURES)
    uploads = upload_list(user=request.user, practice_id=practice.id if practice else None)
    uploads = scope_to_right(uploads, user=request.user, right=Right.FIGURES)[:LIST_SHOWN]
    choices = [p for p in practices_visible(request.user).order_by("name") if has_right(request.user, p, Right.UPLOADS)]
    form = UploadFileForm(practices=choices, initial={"practice": practice.slug if practice else None})
    context = {
        "uploads": uploads,
        "form": form,
        "can_upload": bool(choices),
        "practice": practice,
        "template_fields": upload_template.template_fields(),
    }
    return render(request, "reports/uploads/list.html", context)


@login_required
@require_POST
def upload_preview_page(request: HttpRequest) -> HttpResponse:
    """Stage the dropped file and show every column with its guessed field; another sheet or header row on request."""
    named = request.POST.get("practice")
    if named:  # another practice's slug answers 404 before any right is asked
        right_require(request.user, practice_get(user=request.user, slug=named), Right.UPLOADS)
    choices = _practices_for_upload(request.user)
    token = request.POST.get("token", "")
    entry = request.session.get(SESSION_STAGED)
    if token and entry and entry["token"] == token:  # another sheet or header row of the staged file
        practice = next((p for p in choices if p.id == entry["practice_id"]), None)
        if "sheet" in request.POST:
            entry["sheet"], entry["header_row"] = request.POST.get("sheet", ""), None
        if "header_row" in request.POST:
            entry["header_row"] = header_row_param(request.POST.get("header_row"))
    else:
        staged = _stage(request, choices)
        if isinstance(staged, HttpResponse):
            return staged
        practice, entry = staged
    if practice is None:
        raise Http404("No such practice.")
    return _preview_render(request, entry, practice)


def _stage(request: HttpRequest, choices: list[Practice]) -> tuple[Practice, dict[str, Any]] | HttpResponse:
    """Keep the dropped file in the staging folder; the session entry that points at it, or a redirect back."""
    form = UploadFileForm(request.POST, request.FILES, practices=choices)
    if not form.is_valid():
        messages.error(request, "Choose a purchase file and a practice you may upload for.")
        return redirect("uploads")
    upload = form.cleaned_data["file"]
    if upload.size > settings.UPLOAD_MAX_BYTES:
        limit = settings.UPLOAD_MAX_BYTES / 1_048_576
        messages.error(request, f"The file is over the {limit:.0f} MB limit: split it or export a shorter period.")
        return redirect("uploads")
    practice = next(p for p in choices if p.slug == form.cleaned_data["practice"])
    _staged_discard(request)
    entry = {
        "token": secrets.token_hex(16),
        "practice_id": practice.id,
        "filename": upload.name,
        "sheet": form.cleaned_data["sheet"],
        "header_row": None,
    }
    with open(_staged_path(entry["token"]), "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return practice, entry


def _preview_render(
    request: HttpRequest,
    entry: dict[str, Any],
    practice: Practice,
    *,
    chosen: dict[str, str] | None = None,
    error: str = "",
) -> HttpResponse:
    try:
        found = upload_preview(
            practice=practice,
            user=request.user,
            file=_staged_path(entry["token"]),
            sheet=entry["sheet"] or None,
            filename=entry["filename"],
            header_row=entry.get("header_row"),
        )
    except ApplicationError as exc:
        request.session[SESSION_STAGED] = entry
        if entry["filename"].lower().endswith(WORKBOOK_EXTENSIONS):
            # Keep the workbook staged: the data may sit on another sheet than the one read.
            context = {"error": exc.message, "entry": entry, "practice": practice}
            return render(request, "reports/uploads/preview_failed.html", context, status=400)
        _staged_discard(request)
        messages.error(request, exc.message)
        return redirect("uploads")
    # Without a header row found, the row shown stands for it until the user chooses another.
    entry.update(
        header_signature=found.header_signature,
        detected=found.mapping,
        headers=found.headers,
        header_row=entry.get("header_row") or (None if found.header_found else found.header_row),
    )
    request.session[SESSION_STAGED] = entry
    context = {
        "preview": found,
        "columns": column_rows(found, chosen),
        "field_choices": field_choices(),
        **missing_columns(found),
        "entry": entry,
        "practice": practice,
        "error": error,
    }
    return render(request, "reports/uploads/preview.html", context, status=400 if error else 200)


@login_required
@require_POST
def upload_submit_page(request: HttpRequest) -> HttpResponse:
    """Store the staged file with the columns chosen (what was corrected is remembered) and process it."""
    _practices_for_upload(request.user)  # 403 for anyone who may upload for no practice
    entry = request.session.get(SESSION_STAGED)
    if not entry or entry["token"] != request.POST.get("token"):
        messages.error(request, "That preview has expired: upload the file again.")
        return redirect("uploads")
    practice = practices_visible(request.user).filter(id=entry["practice_id"]).first()
    if practice is None:
        raise Http404("No such practice.")
    chosen, problem = chosen_mapping(request.POST, entry.get("headers", []))
    if problem:
        return _preview_render(request, entry, practice, chosen=chosen, error=problem)
    try:
        upload = upload_create(
            practice=practice,
            user=request.user,
            file=_staged_path(entry["token"]),
            sheet=entry["sheet"] or None,
            # Only what the user changed is asked for (and remembered); the rest is recognised again, as shown.
            mapping=corrections_of(chosen, entry.get("detected", {})),
            filename=entry["filename"],
            header_row=entry.get("header_row"),
        )
    except ConflictError as exc:
        _staged_discard(request)
        messages.warning(request, f"{exc.message}. Here it is; delete it first to upload the file again.")
        return redirect("upload-page", upload_id=exc.extra["upload_id"])
    except ApplicationError as exc:
        return _preview_render(request, entry, practice, chosen=chosen, error=exc.message)
    _staged_discard(request)
    return redirect("upload-page", upload_id=upload.public_id)


def _money_cards(upload: Any) -> list[Drill]:
    """The upload's savings, overcharge, missed savings and spend, each a link to its lines in the explorer."""
    totals = upload_line_totals(upload=upload)
    scope = Scope(Period("all", None, None), upload.practice.slug, {"upload": str(upload.public_id)})
    return [
        scope.drill("savings", totals.savings),
        scope.drill("overcharge", totals.overcharge),
        scope.drill("missed_savings", totals.missed_savings),
        scope.drill("spend", totals.spend),
    ]


def _upload_xlsx(upload: Any, lines: Any) -> HttpResponse:
    """The upload's summary and its lines (as the page lists them) as one workbook."""
    totals = upload_line_totals(upload=upload)
    summary = Sheet(
        "Summary",
        [Column("Figure", "text", 28), Column("Value", "text", 36)],
        [
            ["Practice", upload.practice.name],
            ["File", upload.original_filename],
            ["Uploaded (UTC)", upload.created_at.strftime("%Y-%m-%d %H:%M")],
            ["Status", upload.get_status_display()],
            ["Data rows", Typed(upload.rows_total, "integer")],
            ["Accepted", Typed(upload.rows_accepted, "integer")],
            ["Rejected", Typed(upload.rows_rejected, "integer")],
            ["File total", Typed(upload.file_total, "money")],
            ["Accepted total", Typed(upload.accepted_total, "money")],
            ["Spend (counted lines)", Typed(totals.spend, "money")],
            ["Savings", Typed(totals.savings, "money")],
            ["Overcharge to claim back", Typed(totals.overcharge, "money")],
            ["Missed savings", Typed(totals.missed_savings, "money")],
            ["Note", "Repeats of lines uploaded before are listed but left out of every total (DESIGN §4.9)."],
        ],
        autofilter=False,
    )
    sheet = lines_sheet(lines.iterator(chunk_size=2000), UPLOAD_COLUMNS)
    stem = upload.original_filename.rsplit(".", 1)[0]
    return xlsx_download(workbook_bytes([summary, sheet]), filename=f"upload-{stem}.xlsx")


@login_required
def upload_detail_page(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    """One upload: live progress, summary, rejected rows and the reconciled lines."""
    upload = upload_get(user=request.user, public_id=upload_id)
    right_require(request.user, upload.practice, Right.FIGURES)
    may_change = has_right(request.user, upload.practice, Right.UPLOADS)
    status = request.GET.get("status", "")
    if status not in PurchaseLine.Status.values:
        status = ""
    lines = line_list(upload=upload, status=status or None)
    if wants_xlsx(request):
        return _upload_xlsx(upload, lines)
    page = Paginator(lines, LINES_PER_PAGE)
    context = {
        "money_cards": _money_cards(upload) if upload.status == upload.Status.DONE else [],
        "xlsx_query": urlencode({"status": status, "format": "xlsx"} if status else {"format": "xlsx"}),
        "upload": upload,
        "running": upload.status not in {upload.Status.DONE, upload.Status.FAILED},
        "rejected": upload.rejected_rows.all()[:REJECTED_SHOWN] if may_change else [],
        "shows_rejected": may_change,
        "lines": page.get_page(request.GET.get("page")),
        "status": status,
        "statuses": PurchaseLine.Status.choices,
        "can_delete": may_change,
        "can_retry": upload.status == upload.Status.FAILED and may_change,
        "can_reprocess": upload.status in {upload.Status.DONE, upload.Status.FAILED} and may_change,
        "columns_used": columns_used(upload),
        "api_url": reverse("upload-detail", kwargs={"id": upload.public_id}),
        "rejected_url": reverse("upload-rejected-rows", kwargs={"id": upload.public_id}),
    }
    return render(request, "reports/uploads/detail.html", context)


@login_required
@require_POST
def upload_delete_page(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    """Delete an upload and its lines (finance of its practice or coalition staff)."""
    upload = upload_get(user=request.user, public_id=upload_id)
    name = upload.original_filename
    upload_delete(upload=upload, user=request.user)
    messages.success(request, f"Deleted the upload of {name} and its lines.")
    return redirect("uploads")


@login_required
@require_POST
def upload_retry_page(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    """Process a failed upload again from its kept original (finance of its practice or a coalition admin)."""
    upload = upload_get(user=request.user, public_id=upload_id)
    try:
        upload = upload_retry(upload=upload, user=request.user)
    except ConflictError as exc:
        messages.warning(request, exc.message)
        return redirect("upload-page", upload_id=exc.extra["upload_id"])
    messages.info(request, f"Processing {upload.original_filename} again.")
    return redirect("upload-page", upload_id=upload.public_id)


urlpatterns: list[URLPattern | URLResolver] = [
    path("uploads/", upload_list_page, name="uploads"),
    path("uploads/preview", upload_preview_page, name="upload-preview"),
    path("uploads/submit", upload_submit_page, name="upload-submit"),
    # The upload's public id (SECURITY.md item 16): an integer id is not an address any more and answers 404.
    path("uploads/<uuid:upload_id>/", upload_detail_page, name="upload-page"),
    path("uploads/<uuid:upload_id>/delete", upload_delete_page, name="upload-delete"),
    path("uploads/<uuid:upload_id>/retry", upload_retry_page, name="upload-retry"),
]
