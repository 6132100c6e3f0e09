"""Admin for dues (coalition staff): plans are edited here and published to Stripe; the rest is Stripe's record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from gpo.admin_base import ReadOnlyAdmin
from gpo.billing import services
from gpo.billing.models import BillingAccount, DuesPlan, Invoice, WebhookEvent
from gpo.errors import ApplicationError


@admin.register(DuesPlan)
class DuesPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "band", "annual_amount", "currency", "is_active", "is_published", "stripe_price_id"]
    list_filter = ["is_active"]
    fields = ["name", "band", "annual_amount", "currency", "is_active", "stripe_product_id", "stripe_price_id"]
    readonly_fields = ["stripe_product_id", "stripe_price_id"]
    actions = ["publish"]

    @admin.display(boolean=True, description="In Stripe")
    def is_published(self, plan: DuesPlan) -> bool:
        return plan.is_published

    def save_model(self, request: HttpRequest, obj: DuesPlan, form: ModelForm, change: bool) -> None:
        saved = services.plan_save(
            plan=obj if change else None,
            name=obj.name,
            annual_amount=obj.annual_amount,
            band=obj.band,
            currency=obj.currency,
            is_active=obj.is_active,
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # practices' accounts point at plans; retire one by unticking "is active"

    @admin.action(description="Publish to Stripe (Product and yearly Price)")
    def publish(self, request: HttpRequest, queryset: QuerySet[DuesPlan]) -> None:
        for plan in queryset:
            try:
                services.plan_publish(plan=plan)
            except ApplicationError as error:
                self.message_user(request, f"{plan.name}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{plan.name} is in Stripe.", messages.SUCCESS)


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyAdmin):
    list_display = ["practice", "plan", "collection_method", "subscription_status", "past_due_since"]
    list_filter = ["collection_method", "subscription_status"]
    search_fields = ["practice__name", "stripe_subscription_id"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "practice", "status", "amount_due", "amount_remaining", "issued_at", "due_at"]
    list_filter = ["status"]
    search_fields = ["number", "stripe_invoice_id", "practice__name"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_event_id", "event_type", "outcome", "practice", "stripe_created_at", "received_at"]
    list_filter = ["outcome", "event_type"]
    search_fields = ["stripe_event_id"]
