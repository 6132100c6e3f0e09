"""Floor 1: settings, urls, Celery app, members (tenancy) and billing."""

from gpo.celery import app as celery_app

__all__ = ["celery_app"]
