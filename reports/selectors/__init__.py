"""Reads of the reports app, scoped to the caller (one module per capability)."""
