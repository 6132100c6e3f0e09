"""REST routes of the reports app (mounted under /api/)."""

from reports.api import benchmarks, claims, lines, review, savings, uploads

urlpatterns = [
    *uploads.urlpatterns,
    *lines.urlpatterns,
    *savings.urlpatterns,
    *review.urlpatterns,
    *claims.urlpatterns,
    *benchmarks.urlpatterns,
]
