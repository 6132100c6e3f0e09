from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "gpo.billing"
    label = "billing"
    verbose_name = "Billing"
