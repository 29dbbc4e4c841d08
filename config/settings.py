"""Settings read from the environment (django-environ).

Development and tests run with no environment at all: a SQLite file in the project folder.
Production sets DJANGO_ENV=production, which makes SECRET_KEY and ALLOWED_HOSTS mandatory.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DJANGO_ENV = env("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=False)
if IS_PRODUCTION:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env("SECRET_KEY", default="development-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "plan.apps.PlanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "axes",
    # django-csp: the Content-Security-Policy header (see CONTENT_SECURITY_POLICY below).
    "csp",
    "plan",
    "meetings",
    "municipalities",
    "indicators",
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy on every response, in every environment (docs/security.md).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL character anywhere in the request is a 400, before any form or query sees it.
    "config.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Moves a signed-in session's end forward (the idle timeout); needs the session and the user.
    "config.middleware.IdleSessionTimeoutMiddleware",
    # Every page needs a login unless its view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A signed-in user's pages are never stored by the browser (a shared municipal PC).
    "config.middleware.NoStoreForSignedInUsersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# A refused form (CSRF) explains itself in Japanese: reload the page and send it again.
CSRF_FAILURE_VIEW = "config.error_views.csrf_failure"
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
                "plan.context_processors.user_role",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "plan.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures lock that username from that address for an hour
# (not the address alone: a whole municipal office may share one).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
# Japanese for the admin strings django-axes, django-import-export and django-simple-history leave in English.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production the app serves static files straight from the source folders.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# The address mails link back to (the annual returns' reminders): no request to take it from.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Security: sessions, cookies, headers (docs/security.md) ------------------------------------
# Idle sessions end after SESSION_IDLE_TIMEOUT_MINUTES without a request. A session's stored end is
# moved forward by config.middleware.IdleSessionTimeoutMiddleware — at most once a minute
# (SESSION_REFRESH_SECONDS), not on every request: each move is a write of the whole session, and
# writing on every request (SESSION_SAVE_EVERY_REQUEST) would cost every page a query and let two
# tabs' simultaneous requests overwrite each other's session data. The stored end is therefore
# the timeout plus that minute, so a session lasts at least the timeout after its last request
# (at most a minute more); the backend refuses an expired session and `clearsessions` deletes it.
# static/js/session-timeout.js warns five minutes before the end and can extend the session through
# /accounts/keepalive/.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_REFRESH_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60 + SESSION_REFRESH_SECONDS
# The cookie itself goes when the browser closes, whatever the idle time left.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Not readable from scripts; Lax (not Strict) so that a link in a reminder e-mail opens the page
# signed in, while cross-site POSTs never carry the cookie.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script here reads the CSRF cookie: forms carry the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True

# Headers for every environment (those that do not need HTTPS), so development and the browser
# tests see what production sends.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): only the app's own scripts, styles and images. No
# 'unsafe-inline' anywhere, style attributes included: templates use classes from static/css/app.css.
# data: images only for the empty favicon (<link rel="icon" href="data:,">).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# --- end security ---

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# Where the plan's source documents and reference data live, for the loader and the tests.
FIXTURES_DIR = BASE_DIR / "fixtures"

# django-import-export: importing needs the change permission, exporting the view permission;
# both only in the admin, which only plan administrators can open. Imports run in one transaction.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Uploads ------------------------------------------------------------------------------------
# Caps for every upload, applied by the one upload guard (plan/common/uploads.py) before anything parses
# a file; see docs/uploads.md. A kind's entries override plan.common.uploads.DEFAULT_LIMITS one by one.
# "spreadsheet": workbooks and CSV imported into the system (progress import, admin imports);
# "attachment": files stored as they are (meeting minutes).
UPLOAD_LIMITS = {
    "spreadsheet": {
        "max_bytes": env.int("UPLOAD_SPREADSHEET_MAX_MB", default=10) * 1024 * 1024,
        "max_rows": env.int("UPLOAD_SPREADSHEET_MAX_ROWS", default=10_000),
        "max_cells": env.int("UPLOAD_SPREADSHEET_MAX_CELLS", default=200_000),
    },
    "attachment": {
        "max_bytes": env.int("UPLOAD_ATTACHMENT_MAX_MB", default=30) * 1024 * 1024,
    },
}
# Django's own limits: an uploaded file larger than this is streamed to a temporary file rather
# than held in memory, and the other fields of a request may not exceed this in total. Neither
# limits the size of a file (Django has no such setting): the guard does, after the upload, and
# the reverse proxy should refuse bodies far beyond the largest cap (e.g. nginx
# client_max_body_size 32m) so that a huge body is not even received.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
