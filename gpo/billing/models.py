"""Member dues through Stripe: plans, each practice's billing account, its invoices and the events received."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from gpo.db import TimeStampedModel


class DuesPlan(TimeStampedModel):
    """Annual coalition dues for a practice size band (or one practice), mirrored as a Stripe Product and Price."""

    name = models.CharField(max_length=200, unique=True)
    band = models.CharField(max_length=120, blank=True, help_text="Who it is for, e.g. '1–5 radiologists'.")
    annual_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="usd")
    is_active = models.BooleanField(default=True)
    stripe_product_id = models.CharField(max_length=64, blank=True)
    stripe_price_id = models.CharField(max_length=64, blank=True)
    # The amount the Stripe Price was created for: Stripe prices are immutable, so a changed amount needs a new one.
    stripe_price_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["annual_amount", "name"]
        constraints = [models.CheckConstraint(condition=Q(annual_amount__gt=0), name="dues_plan_amount_positive")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        """Whether Stripe has a Price for the current amount."""
        return bool(self.stripe_price_id) and self.stripe_price_amount == self.annual_amount


class BillingAccount(TimeStampedModel):
    """A practice's dues standing as Stripe reports it: plan, subscription, how it pays, since when it is behind.

    The Stripe customer id and the membership status live on the Practice (DESIGN.md section 3); the time of the
    last Stripe event applied is `Practice.stripe_status_at`, against which later-arriving older events are refused.
    """

    class CollectionMethod(models.TextChoices):
        CHARGE_AUTOMATICALLY = "charge_automatically", "Card, charged automatically"
        SEND_INVOICE = "send_invoice", "Invoice, paid by transfer"

    practice = models.OneToOneField("members.Practice", on_delete=models.CASCADE, related_name="billing_account")
    plan = models.ForeignKey(DuesPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts")
    collection_method = models.CharField(
        max_length=24, choices=CollectionMethod.choices, default=CollectionMethod.CHARGE_AUTOMATICALLY
    )
    stripe_subscription_id = models.CharField(max_length=64, blank=True)
    subscription_status = models.CharField(max_length=32, blank=True, help_text="Stripe's own word for it.")
    current_period_end = models.DateTimeField(null=True, blank=True)
    next_invoice_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="usd")
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["practice"]

    def __str__(self) -> str:
        return f"Billing of {self.practice}"


class Invoice(TimeStampedModel):
    """A dues invoice as Stripe issued it (or stored locally for the demo): amounts, status, dates and links."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        UNCOLLECTIBLE = "uncollectible", "Uncollectible"
        VOID = "void", "Void"

    practice = models.ForeignKey("members.Practice", on_delete=models.PROTECT, related_name="dues_invoices")
    stripe_invoice_id = models.CharField(max_length=64, unique=True)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    currency = models.CharField(max_length=3, default="usd")
    amount_due = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_remaining = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    issued_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf = models.URLField(max_length=500, blank=True)
    # Creation time of the Stripe event this row was last written from (None: stored locally).
    stripe_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_due__gte=0) & Q(amount_paid__gte=0) & Q(amount_remaining__gte=0),
                name="dues_invoice_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id


class WebhookEvent(models.Model):
    """A verified Stripe event; its id is unique and stored with its effects, so a replay finds it and does nothing."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        STALE = "stale", "Older than what is stored: ignored"
        UNKNOWN_CUSTOMER = "unknown_customer", "Customer of no practice: ignored"
        UNHANDLED = "unhandled", "Type not handled: ignored"

    stripe_event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    stripe_created_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    livemode = models.BooleanField(default=False)
    practice = models.ForeignKey(
        "members.Practice", on_delete=models.SET_NULL, null=True, blank=True, related_name="stripe_events"
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.stripe_event_id}"
