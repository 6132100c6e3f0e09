"""Pages of the reports app: uploads, dashboards and the vendor review queue."""

from reports.views import dashboards, review, uploads

urlpatterns = [*uploads.urlpatterns, *dashboards.urlpatterns, *review.urlpatterns]
