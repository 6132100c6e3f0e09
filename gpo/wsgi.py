"""WSGI entry point (gunicorn gpo.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
application = get_wsgi_application()
