"""Pages of the reports app: uploads and dashboards."""

from django.urls import path

from gpo import views

urlpatterns = [
    path(
        "uploads/",
        views.placeholder,
        {"title": "Uploads", "text": "Upload purchase spreadsheets to reconcile them against contract prices."},
        name="uploads",
    ),
    path(
        "dashboard/",
        views.placeholder,
        {"title": "Dashboard", "text": "Your practice's savings, overcharges and compliance."},
        name="dashboard",
    ),
    path(
        "coalition/",
        views.placeholder,
        {"title": "Coalition dashboard", "text": "Savings and compliance across every member practice."},
        name="coalition",
    ),
]
