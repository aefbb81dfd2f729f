"""Settings read from the environment; the defaults are the no-server quick start.

`DATABASE_URL` and `CELERY_BROKER_URL` switch from the SQLite file and the file-system
broker under `var/` to PostgreSQL and Redis. Nothing else needs to change to run a
fleet of workers on many machines.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEGAFONO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


def env_rates(name: str) -> dict[str, float]:
    """Read a JSON object of names to numbers, such as `{"twilio-main": 1}`."""
    raw = os.environ.get(name, "").strip()
    try:
        value = json.loads(raw) if raw else {}
        rates = {str(key): float(rate) for key, rate in value.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ImproperlyConfigured(
            f'{name} must be a JSON object such as {{"twilio-main": 1}}'
        ) from exc
    return rates


def secret_key() -> str:
    """Return `SECRET_KEY`, or a random key kept in `var/` so a quick start is safe too."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def encryption_keys() -> list[str]:
    """Return the Fernet keys for route secrets, newest first.

    `MEGAFONO_ENCRYPTION_KEY` holds one or more comma-separated keys (the first
    encrypts, all decrypt: add a new key in front to rotate). Without it a key is
    generated once and kept in `var/`, like the secret key, so a quick start
    encrypts too; losing that file loses the stored route secrets.
    """
    if keys := env_list("MEGAFONO_ENCRYPTION_KEY", ""):
        return keys
    path = VAR_DIR / "encryption_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # A Fernet key: 32 random bytes, URL-safe base64.
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return [path.read_text().strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key()
MEGAFONO_ENCRYPTION_KEYS = encryption_keys()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",  # its bundled Swagger UI, served from our static files
    "django_htmx",
    "template_partials",
    "accounts",
    "contacts",
    "messaging",
    "campaigns",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.CurrentAccountMiddleware",
    "accounts.middleware.RequestLimitsMiddleware",
    "accounts.middleware.DomainErrorMiddleware",
    "config.middleware.api_method_not_allowed",
    # Last, as django-axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.current_account",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'megafono.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles our list-wide aggregates for ~200 ms to save nothing: they are
    # index scans over one list. Off for this application's connections only.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat read while one of them writes;
    # IMMEDIATE takes the write lock up front so two writers queue instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses before the password is checked while an address or a user is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Mail (password reset links), one URL read by dj-email-url: for example
# submission://user:pw@mail.example.com (STARTTLS on 587),
# smtp://user:pw@mail.example.com:465/?ssl=True (TLS from the start), smtp://host:25;
# ?timeout=N in seconds. The quick start prints mails on the console instead.
_email = dj_email_url.parse(
    os.environ.get("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
# A mail server that does not answer must not hold a web worker for ever.
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 10
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Megafono <noreply@localhost>"
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italiano"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Uploads: contact files are streamed to disk, never held in memory.
# Below this available credit the top bar's credit pill turns to a warning.
CREDIT_LOW_THRESHOLD = os.environ.get("CREDIT_LOW_THRESHOLD", "10")
CONTACT_UPLOAD_MAX_BYTES = int(os.environ.get("CONTACT_UPLOAD_MAX_BYTES", 100 * 2**20))
CONTACT_UPLOAD_MAX_ROWS = int(os.environ.get("CONTACT_UPLOAD_MAX_ROWS", 1_000_000))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = 2**20

# Campaign limits from the product documentation.
CAMPAIGN_MAX_ACTIVE = int(os.environ.get("CAMPAIGN_MAX_ACTIVE", 10))
CAMPAIGN_MAX_RECIPIENTS = int(os.environ.get("CAMPAIGN_MAX_RECIPIENTS", 1_000_000))
SMS_MAX_PARTS = int(os.environ.get("SMS_MAX_PARTS", 10))
# Throughput used for "estimated duration" (messages per second, all workers).
SEND_RATE_PER_SECOND = int(os.environ.get("SEND_RATE_PER_SECOND", 50))

# Sending (campaigns.sending, messaging.dispatch).
SEND_BATCH_SIZE = int(os.environ.get("SEND_BATCH_SIZE", 500))
SEND_LANES = int(os.environ.get("SEND_LANES", 4))  # batches in flight per campaign
SEND_CLAIM_TIMEOUT = int(os.environ.get("SEND_CLAIM_TIMEOUT", 60))  # seconds
REPORT_TIMEOUT = int(os.environ.get("REPORT_TIMEOUT", 48 * 3600))  # then EXPIRED
REPORT_PARK_HOURS = int(os.environ.get("REPORT_PARK_HOURS", 48))
# SMS fallback: an RCS/WhatsApp message with no final report this many seconds
# after submission gets its SMS (messaging.fallback).
FALLBACK_WAIT = int(os.environ.get("FALLBACK_WAIT", 600))

# The simulator route: outcome mix, report delays (seconds), reproducible by seed.
SIMULATOR_DELIVERED_RATE = float(os.environ.get("SIMULATOR_DELIVERED_RATE", 0.97))
SIMULATOR_UNDELIVERED_RATE = float(os.environ.get("SIMULATOR_UNDELIVERED_RATE", 0.02))
SIMULATOR_EXPIRED_RATE = float(os.environ.get("SIMULATOR_EXPIRED_RATE", 0.01))
SIMULATOR_REJECT_RATE = float(os.environ.get("SIMULATOR_REJECT_RATE", 0.0))
# Share of numbers the simulator calls not RCS/WhatsApp users (NOT_CAPABLE).
SIMULATOR_NOT_CAPABLE_RATE = float(os.environ.get("SIMULATOR_NOT_CAPABLE_RATE", 0.0))
SIMULATOR_MIN_DELAY = float(os.environ.get("SIMULATOR_MIN_DELAY", 2))
SIMULATOR_MAX_DELAY = float(os.environ.get("SIMULATOR_MAX_DELAY", 30))
SIMULATOR_SEED = os.environ.get("SIMULATOR_SEED", "megafono")
SIMULATOR_SECRET = (
    os.environ.get("SIMULATOR_SECRET")
    or hashlib.sha256(f"simulator:{SECRET_KEY}".encode()).hexdigest()
)
# Where the simulator POSTs its reports; empty: straight to the receiving function.
SIMULATOR_REPORT_URL = os.environ.get("SIMULATOR_REPORT_URL", "")

# Real routes (messaging.gateways). Provider URLs are typed by users: calls to
# loopback, private or link-local addresses are refused unless this is on.
MEGAFONO_ALLOW_PRIVATE_URLS = env_bool("MEGAFONO_ALLOW_PRIVATE_URLS", False)
# The address providers reach us at: callbacks for reports and replies.
# Webhook POSTs in flight at once per endpoint (each its own Celery task).
WEBHOOK_MAX_IN_FLIGHT = int(os.environ.get("WEBHOOK_MAX_IN_FLIGHT", 4))
# Days the webhook delivery log keeps finished deliveries.
WEBHOOK_LOG_DAYS = int(os.environ.get("WEBHOOK_LOG_DAYS", 30))
MEGAFONO_PUBLIC_URL = os.environ.get("MEGAFONO_PUBLIC_URL", "http://127.0.0.1:8000")
# Route failover: a route that fails this many batches within 60 s is demoted for
# the cool-down (seconds) and the account's next route by priority takes over.
ROUTE_FAILOVER_ERRORS = int(os.environ.get("ROUTE_FAILOVER_ERRORS", 5))
ROUTE_FAILOVER_COOLDOWN = int(os.environ.get("ROUTE_FAILOVER_COOLDOWN", 300))

# Base of the per-recipient short links (tracked URLs, opt-out); empty: our own /l/.
MEGAFONO_SHORT_URL = os.environ.get("MEGAFONO_SHORT_URL", "")

# Sign-in throttling (django-axes) on the dashboard and admin login pages. Attempts
# live in the database, so every web process and the SQLite quick start share them.
# A failure counts for its address and for the username typed; either one reaching
# the limit pauses sign-in for that address or that user until the cool-off passes.
# No reset on success: an attacker's good login to their own account must not wipe
# the count of their guesses at someone else's password from the same address.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# Successful logins are not logged: the sessions table already says who is in.
AXES_DISABLE_ACCESS_LOG = True
# Reverse proxies in front of the app (each appends to X-Forwarded-For). 0 trusts
# no header, so nobody can pick their own address to dodge the limits above.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))

# Wrong API keys: this many from one address within the period lock it out for the
# period (429 with Retry-After). Counted in the cache below.
API_KEY_FAILURE_LIMIT = int(os.environ.get("API_KEY_FAILURE_LIMIT", 10))
API_KEY_LOCKOUT_SECONDS = int(os.environ.get("API_KEY_LOCKOUT_SECONDS", 300))

# The default cache lives in each process: enough for one web server (the quick
# start). With several web processes or machines, a Redis URL shares the counts.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# /api/docs (Swagger UI) asks for a dashboard sign-in unless this is on.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

# Production safety: on when DEBUG is off, `manage.py check --deploy` is clean.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Script and style only from our own static files: no inline <script>, on...= or
# hx-on attributes, no style attributes (templates/ has none; tests/test_csp.py
# keeps it so), so markup that slips into a page cannot run or restyle anything.
# htmx's own indicator <style> is switched off in base.html's htmx-config.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Celery: Redis in production, a file-system broker for the quick start.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):  # kombu expects them to exist
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu's default (1 s) lets a worker take about one message a second
        # per process: fewer than beat's every-second jobs, so the backlog grew.
        "polling_interval": 0.05,
    }
else:
    # Longer than any task runs, so a slow task is not redelivered to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# One queue name per deployment (tests give each run its own).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "requeue-stalled-imports": {
        "task": "contacts.requeue_stalled_imports",
        "schedule": 300.0,
    },
    "drop-abandoned-lists": {
        "task": "contacts.drop_abandoned_lists",
        "schedule": 3600.0,
    },
    "campaigns-tick": {
        "task": "campaigns.tick",
        "schedule": 5.0,
        "options": {"expires": 15},
    },
    # Every second, and worthless once the next has been queued: one that waited
    # past a few seconds is dropped (each run does all there is to do).
    "apply-delivery-reports": {
        "task": "messaging.apply_reports",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
    "simulator-reports": {
        "task": "messaging.simulator_reports",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
    # Webhooks: batch new events, hand due deliveries to workers.
    "webhooks": {
        "task": "messaging.webhooks",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
    "send-stalled-singles": {"task": "messaging.send_singles", "schedule": 10.0},
    "messaging-prune": {
        "task": "messaging.prune",
        "schedule": 3600.0,
    },
    # Recurring campaigns: claim due runs (at most 30 s late); a tick that waited
    # for a busy worker longer than that expires, the next one does its work.
    "run-recurring-campaigns": {
        "task": "campaigns.run_recurring",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}

# Per-gateway send limits, SMS parts per second across every worker on every machine
# (messaging.ratelimit). 0 means none, the simulator's default. The buckets live in
# Redis when this is a Redis URL (the broker's by default), else in the database.
GATEWAY_RATE_LIMIT = float(os.environ.get("GATEWAY_RATE_LIMIT", 0))
GATEWAY_RATE_LIMITS = env_rates("GATEWAY_RATE_LIMITS")
RATE_LIMIT_REDIS_URL = os.environ.get("RATE_LIMIT_REDIS_URL", CELERY_BROKER_URL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
