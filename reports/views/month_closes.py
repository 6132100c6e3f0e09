"""Pages: month closes and restatements (`/month-closes/`), for finance leads, executives and coalition staff."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from gpo.errors import ApplicationError
from gpo.members import scoping
from gpo.members.rights import Right, has_right, practice_ids_with_right, scope_to_right
from reports.periods import add_months
from reports.selectors.month_closes import month_close_list
from reports.services.month_closes import month_close_create, month_close_reopen, published_figures


def _closable_months(today: datetime.date) -> list[datetime.date]:
    """The last twelve months that have ended, newest first."""
    first = today.replace(day=1)
    return [add_months(first, -back) for back in range(1, 13)]


@login_required
def month_closes(request: HttpRequest) -> HttpResponse:
    """Closed months of the practices whose figures the user may read, with their restatements; close a month."""
    if request.method == "POST":
        return _close(request)
    closes = list(scope_to_right(month_close_list(user=request.user), user=request.user, right=Right.FIGURES))
    closers = practice_ids_with_right(request.user, Right.MONTH_CLOSE)
    practices = scoping.practices_visible(request.user)
    if closers is not None:
        practices = practices.filter(id__in=closers)
    close_practices = list(practices.order_by("name"))
    # Months still open for at least one of the practices the user may close.
    live = {(c.practice_id, c.month) for c in closes if c.is_closed}
    months = [m for m in _closable_months(timezone.localdate()) if any((p.id, m) not in live for p in close_practices)]
    return render(
        request,
        "reports/month_closes.html",
        {
            "rows": [(close, published_figures(close)) for close in closes],
            "close_practices": close_practices,
            "months": months,
            "can_reopen": has_right(request.user, None, Right.MONTH_REOPEN),
        },
    )


def _close(request: HttpRequest) -> HttpResponse:
    practice = scoping.practice_get(user=request.user, slug=request.POST.get("practice", ""))
    try:
        month = datetime.date.fromisoformat(request.POST.get("month", "") + "-01")
        close = month_close_create(practice=practice, month=month, user=request.user)
    except ValueError:
        messages.error(request, "Choose a month (YYYY-MM).")
    except (ApplicationError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or "; ".join(error.messages))  # type: ignore[union-attr]
    else:
        messages.success(request, f"{practice.name}: {close.month:%B %Y} closed; its figures are published.")
    return redirect("month-closes")


@login_required
@require_POST
def month_close_reopen_page(request: HttpRequest, id: str) -> HttpResponse:
    """Reopen a closed month with a reason (coalition admins)."""
    close = get_object_or_404(month_close_list(user=request.user), public_id=id)
    try:
        month_close_reopen(month_close=close, user=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{close.practice.name}: {close.month:%B %Y} reopened.")
    return redirect("month-closes")


urlpatterns: list[URLPattern | URLResolver] = [
    path("month-closes/", month_closes, name="month-closes"),
    path("month-closes/<uuid:id>/reopen", month_close_reopen_page, name="month-close-reopen"),
]
