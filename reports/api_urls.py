"""REST routes of the reports app (mounted under /api/)."""

from reports.api import admin_fees, benchmarks, claims, economics, lines, month_closes, review, savings, uploads

urlpatterns = [
    *uploads.urlpatterns,
    *lines.urlpatterns,
    *savings.urlpatterns,
    *review.urlpatterns,
    *claims.urlpatterns,
    *benchmarks.urlpatterns,
    *month_closes.urlpatterns,
    *economics.urlpatterns,
    *admin_fees.urlpatterns,
]
