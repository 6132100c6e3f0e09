"""Billing pages and the Stripe webhook (DESIGN.md section 7: Stripe posts to `/billing/stripe/webhook/`)."""

from django.urls import path

from gpo.billing import views

urlpatterns = [
    path("", views.billing_home, name="billing"),
    path("practices/", views.overview, name="billing-overview"),
    path("practices/<slug:slug>/", views.practice_billing, name="billing-practice"),
    path("practices/<slug:slug>/pay/", views.checkout, name="billing-checkout"),
    path("practices/<slug:slug>/portal/", views.portal, name="billing-portal"),
    path("practices/<slug:slug>/invoice-billing/", views.invoice_billing, name="billing-invoice-billing"),
    path("practices/<slug:slug>/plan/", views.practice_plan, name="billing-practice-plan"),
    path("plans/<str:plan_id>/publish/", views.plan_publish, name="billing-plan-publish"),
    path("stripe/webhook/", views.stripe_webhook, name="billing-stripe-webhook"),
]
