"""REST routes of the reports app (mounted under /api/)."""

from reports.api import lines, review, savings, uploads

urlpatterns = [*uploads.urlpatterns, *lines.urlpatterns, *savings.urlpatterns, *review.urlpatterns]
