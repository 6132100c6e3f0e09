"""Pages of the reports app: uploads, dashboards and the vendor review queue."""

from django.urls import path

from gpo import views as gpo_views
from reports.views import dashboards, review, uploads

_placeholders = [
    path(
        "dashboard/",
        gpo_views.placeholder,
        {"title": "Dashboard", "text": "Your practice's savings, overcharges and compliance."},
        name="dashboard",
    ),
    path(
        "coalition/",
        gpo_views.placeholder,
        {"title": "Coalition dashboard", "text": "Savings and compliance across every member practice."},
        name="coalition",
    ),
]

# App pages first: a real page replaces its placeholder by matching first.
urlpatterns = [*uploads.urlpatterns, *dashboards.urlpatterns, *review.urlpatterns, *_placeholders]
