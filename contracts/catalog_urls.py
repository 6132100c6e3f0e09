"""Catalog pages that search across vendors, contracts and items, mounted at /catalog/ (before vendors.urls)."""

from django.urls import path

from contracts import views

urlpatterns = [
    path("", views.catalog_home, name="catalog"),
    path("renewals/", views.renewals, name="catalog-renewals"),
]
