"""Pages of the reports app: uploads, dashboards and the vendor review queue."""

from reports.views import (
    benchmarks,
    claims,
    dashboards,
    economics,
    lines,
    month_closes,
    review,
    upload_columns,
    uploads,
)

urlpatterns = [
    *uploads.urlpatterns,
    *upload_columns.urlpatterns,
    *dashboards.urlpatterns,
    *lines.urlpatterns,
    *review.urlpatterns,
    *claims.urlpatterns,
    *benchmarks.urlpatterns,
    *month_closes.urlpatterns,
    *economics.urlpatterns,
]
