"""REST routes of the reports app (mounted under /api/)."""

from reports.api import admin_fees, economics, lines, month_closes, review, savings, uploads

urlpatterns = [
    *uploads.urlpatterns,
    *lines.urlpatterns,
    *savings.urlpatterns,
    *review.urlpatterns,
    *month_closes.urlpatterns,
    *economics.urlpatterns,
    *admin_fees.urlpatterns,
]
