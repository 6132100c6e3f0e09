"""Stripe dues billing (filled by the billing issue)."""
