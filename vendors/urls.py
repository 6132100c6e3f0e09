"""Catalog pages of vendors, mounted at /catalog/ (the catalog home lives in contracts.catalog_urls)."""

from django.urls import path

from vendors import views

urlpatterns = [
    path("vendors/<slug:slug>/", views.vendor_detail, name="vendor-detail"),
]
