"""REST routes of the reports app (mounted under /api/)."""

from reports.api import claims, lines, review, savings, uploads

urlpatterns = [*uploads.urlpatterns, *lines.urlpatterns, *savings.urlpatterns, *review.urlpatterns, *claims.urlpatterns]
