"""Billing pages."""

from django.urls import path

from gpo.billing import views

urlpatterns = [path("", views.billing_home, name="billing")]
