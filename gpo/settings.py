"""Settings for the GPO savings tracker, read from the environment (DESIGN.md section 6, STYLE.md rule 8)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development by default so a fresh clone runs; production sets DEBUG=0 and a real SECRET_KEY.
DEBUG = env.bool("DEBUG", default=True)
# A development key only when DEBUG is on; production must set SECRET_KEY (startup fails otherwise).
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "django-insecure-development-only-key-0123456789abcdefghijklmnop" if DEBUG else ""
)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "gpo.members",
    "gpo.billing",
    "vendors",
    "contracts",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gpo.middleware.RefuseNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "gpo.middleware.StyledNotFoundMiddleware",
]

ROOT_URLCONF = "gpo.urls"
WSGI_APPLICATION = "gpo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gpo.members.context_processors.practice_context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'gpo.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL and a busy timeout let the background worker and the web process share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    # Each web process keeps its database connection between requests (issue 16): opening one per request cost a
    # connection handshake and a server process fork every time, about a third of a cached figure's time (the
    # savings load test went from 64.8 to 98.8 req/s with this alone). CONN_HEALTH_CHECKS replaces a connection the
    # server dropped before it is used.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # No JIT compiling: it pays for long analytic queries, not for a request's. At 20M lines the planner's estimates
    # pass jit_above_cost even for index lookups, and compiling added ~170 ms to the coalition year's cold figures
    # (bench-scale, 20M lines: 395-465 ms with JIT, 234-309 ms without). An `options` in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The cache behind throttles, lock-out and hot figures (DESIGN.md section 6): local memory by default (one process);
# production sets CACHE_URL (e.g. redis://host:6379/1) so every web process counts the same attempts.
CACHE_URL = env.str("CACHE_URL", default="") or "locmemcache://"
CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "gpo.redis_cache.RedisCache"  # one Redis client per pool, not one per read

# Lock-out after repeated failed logins (SECURITY.md item 21): counted in the shared cache when CACHE_URL names one,
# else in the database (local memory would count per process). Each entry is counted on its own: failures from one
# address (whatever the usernames: one address trying many accounts), failures for one username (whatever the
# addresses: one account tried from many), and the pair.
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if env.str("CACHE_URL", default="")
    else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Sign-in attempts (login form and token endpoint, right or wrong) per client address and per username, before 429.
LOGIN_THROTTLE_RATES = {
    "ip": env.str("LOGIN_THROTTLE_IP", default="20/minute"),
    "username": env.str("LOGIN_THROTTLE_USERNAME", default="10/minute"),
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gpo@localhost")
# The site's address as members reach it: links in emails sent outside a request (monthly summaries).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Uploads (DESIGN.md section 5, SECURITY.md items 1, 3, 7).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
UPLOAD_MAX_ROWS = env.int("UPLOAD_MAX_ROWS", default=2_000_000)
UPLOAD_MAX_COLUMNS = env.int("UPLOAD_MAX_COLUMNS", default=200)
UPLOAD_MAX_ROW_BYTES = env.int("UPLOAD_MAX_ROW_BYTES", default=256 * 1024)  # a csv line, checked before parsing
UPLOAD_MAX_CELLS = env.int("UPLOAD_MAX_CELLS", default=20_000_000)  # an xlsx sheet, first to farthest cell
UPLOAD_MAX_ZIP_ENTRIES = env.int("UPLOAD_MAX_ZIP_ENTRIES", default=1000)
UPLOAD_MAX_UNZIPPED_BYTES = env.int("UPLOAD_MAX_UNZIPPED_BYTES", default=500 * 1024 * 1024)
UPLOAD_MAX_ZIP_RATIO = env.int("UPLOAD_MAX_ZIP_RATIO", default=100)  # per part, unpacked : packed
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Reconciliation tolerance per unit (DESIGN.md section 4 rule 6): max(absolute, relative x contract price).
OVERCHARGE_TOLERANCE_ABSOLUTE = Decimal(env.str("OVERCHARGE_TOLERANCE_ABSOLUTE", default="0.01"))
OVERCHARGE_TOLERANCE_RELATIVE = Decimal(env.str("OVERCHARGE_TOLERANCE_RELATIVE", default="0.005"))
# Admin-fee audit: sales a vendor reports below the members' uploaded on-contract spend by more than
# max(ABSOLUTE, RELATIVE x that spend) are flagged as under-reported (the fee likewise, at the contract's fee %).
ADMIN_FEE_TOLERANCE_ABSOLUTE = Decimal(env.str("ADMIN_FEE_TOLERANCE_ABSOLUTE", default="5.00"))
ADMIN_FEE_TOLERANCE_RELATIVE = Decimal(env.str("ADMIN_FEE_TOLERANCE_RELATIVE", default="0.01"))
VENDOR_FUZZY_THRESHOLD = env.float("VENDOR_FUZZY_THRESHOLD", default=92.0)

# Figures are cached in the cache above under versioned keys (reports.figures_cache): a write bumps a version, so
# nothing is ever read stale.
if CACHE_URL != "locmemcache://":
    # A shared cache in front of the session table saves a query on every page (written through to the database).
    # Never with the per-process default: another process would read a stale session from its own memory.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# How long a cached figure lives at most; versions make it correct before then, this only bounds memory.
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=24 * 60 * 60)
# The coalition's fiscal year starts on the first of this month (1-12): "This year" and "Last year" on the
# dashboards and the lines explorer follow it.
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=1)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured(f"FISCAL_YEAR_START_MONTH must be 1-12, got {FISCAL_YEAR_START_MONTH}.")

# Celery: with no broker configured, tasks run eagerly in-process (DESIGN.md section 6).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    # Eager tasks never touch a broker; naming the in-memory one keeps kombu from guessing localhost.
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# Who hears a committed catalog change (contracts/changes.py): functions taking the changed vendor ids.
CATALOG_CHANGE_LISTENERS = ["reports.tasks.catalog_change_rereconcile"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# Uploads survive dead workers (DESIGN.md section 5). A message is acknowledged only once its task has finished, and
# a worker killed mid-task (OOM, kill -9 of the pool child) hands it back to the broker instead of acknowledging it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# The longest upload (UPLOAD_MAX_ROWS rows) takes minutes; past the soft limit it fails with a reason, past the hard
# limit the pool child is killed. Redis hands an unacknowledged message to another worker after the visibility
# timeout: longer than any upload may run, or a running upload would be started twice. (RabbitMQ redelivers when the
# worker's connection drops; its consumer timeout, 30 minutes by default, must exceed the hard limit too.)
UPLOAD_TASK_SOFT_TIME_LIMIT = env.int("UPLOAD_TASK_SOFT_TIME_LIMIT", default=20 * 60)
UPLOAD_TASK_TIME_LIMIT = UPLOAD_TASK_SOFT_TIME_LIMIT + 60
CELERY_TASK_ANNOTATIONS = {
    "reports.upload_process": {
        "soft_time_limit": UPLOAD_TASK_SOFT_TIME_LIMIT,
        "time_limit": UPLOAD_TASK_TIME_LIMIT,
    }
}
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=UPLOAD_TASK_TIME_LIMIT + 5 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# A redelivered upload waits this long for the claim of a killed worker's database session to go.
UPLOAD_CLAIM_WAIT_SECONDS = env.int("UPLOAD_CLAIM_WAIT_SECONDS", default=60)
# A processing run begun this many times (each a worker lost mid-upload) fails the upload instead of looping.
UPLOAD_MAX_ATTEMPTS = env.int("UPLOAD_MAX_ATTEMPTS", default=3)
# The sweeper (Celery beat, or `manage.py uploads_sweep`) fails uploads that showed no sign of life for this long:
# no worker holds them and the broker did not hand their message back in time.
UPLOAD_STALE_AFTER_SECONDS = env.int("UPLOAD_STALE_AFTER_SECONDS", default=CELERY_VISIBILITY_TIMEOUT + 5 * 60)
CELERY_BEAT_SCHEDULE = {
    "uploads-sweep-stale": {
        "task": "reports.uploads_sweep_stale",
        "schedule": env.int("UPLOAD_SWEEP_EVERY_SECONDS", default=5 * 60),
    },
    # Practices whose grace period ran out lapse even when Stripe sends nothing more.
    "billing-membership-statuses-refresh": {
        "task": "billing.membership_statuses_refresh",
        "schedule": timedelta(hours=1),
    },
    # Each practice's executives get last month's figures and top claims (`manage.py send_monthly_summaries`).
    "reports-monthly-summaries": {
        "task": "reports.monthly_summaries_send",
        "schedule": crontab(day_of_month="1", hour="7", minute="0"),
    },
}

# Stripe (member dues, gpo/billing). Blank keys: billing pages say billing is not configured; nothing else changes.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
# Read for completeness only: no Stripe.js is loaded (CSP, DESIGN §6); Checkout and the portal are server-created.
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Pinned to the version the installed stripe library (16.x) is generated for; a test fails when they drift apart.
STRIPE_API_VERSION = "2026-10-28.endive"
# Days a practice stays `past_due` (prices still shown) after its dues fall behind, before it lapses.
BILLING_GRACE_PERIOD_DAYS = env.int("BILLING_GRACE_PERIOD_DAYS", default=30)
# Invoice billing (collection_method=send_invoice): days the practice has to pay each invoice.
BILLING_INVOICE_DAYS_UNTIL_DUE = env.int("BILLING_INVOICE_DAYS_UNTIL_DUE", default=30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "gpo.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "gpo.schema.GpoAutoSchema",
    "EXCEPTION_HANDLER": "gpo.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "%Y-%m-%d",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="6000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Radiology GPO catalog and savings API",
    "DESCRIPTION": "Contract catalog, purchase uploads, reconciliation and savings for coalition members.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UploadStatusEnum": "reports.models.PurchaseUpload.Status",
        "LineStatusEnum": "reports.models.PurchaseLine.Status",
        "ContractStatusEnum": "contracts.models.Contract.Status",
        "ClaimStatusEnum": "reports.models.OverchargeClaim.Status",
    },
}

# Content-Security-Policy without unsafe-inline (SECURITY.md item 21); every asset is served by the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# Security headers (SECURITY.md item 20); HTTPS-only settings apply when DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

AXES_LOCKOUT_CALLABLE = "gpo.members.views.locked_out"
