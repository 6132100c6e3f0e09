"""Pages of the reports app: uploads, dashboards and the vendor review queue."""

from reports.views import dashboards, economics, month_closes, review, upload_columns, uploads

urlpatterns = [
    *uploads.urlpatterns,
    *upload_columns.urlpatterns,
    *dashboards.urlpatterns,
    *review.urlpatterns,
    *month_closes.urlpatterns,
    *economics.urlpatterns,
]
