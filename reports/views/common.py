"""What the report pages share: the period a request asks for, under the coalition's fiscal year."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from reports.periods import Period, period_from_query


def request_period(request: HttpRequest, *, default: str = "year") -> Period:
    """The period of `?period=&start=&end=` (this fiscal year unless `default` says otherwise; errors are shown)."""
    query = request.GET.dict()
    if not query.get("period") and not query.get("start") and not query.get("end"):
        query["period"] = default
    return period_from_query(query, today=timezone.localdate(), fiscal_start_month=settings.FISCAL_YEAR_START_MONTH)
