"""Writes of the reports app, one module per capability (uploads, reconciliation, savings)."""
