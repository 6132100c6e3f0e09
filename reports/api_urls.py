"""REST routes of the reports app (mounted under /api/)."""

from reports.api import review, savings, uploads

urlpatterns = [*uploads.urlpatterns, *savings.urlpatterns, *review.urlpatterns]
