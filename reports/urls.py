"""Pages of the reports app: uploads, dashboards and the vendor review queue."""

from reports.views import benchmarks, claims, dashboards, lines, review, upload_columns, uploads

urlpatterns = [
    *uploads.urlpatterns,
    *upload_columns.urlpatterns,
    *dashboards.urlpatterns,
    *lines.urlpatterns,
    *review.urlpatterns,
    *claims.urlpatterns,
    *benchmarks.urlpatterns,
]
