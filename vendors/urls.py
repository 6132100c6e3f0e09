"""Catalog pages."""

from django.urls import path

from gpo import views

urlpatterns = [
    path(
        "",
        views.placeholder,
        {"title": "Catalog", "text": "Browse vendors with a coalition deal and the prices your practice pays."},
        name="catalog",
    ),
]
