"""Settings for the Selvhjelp portal.

Every value comes from the environment (or a `.env` file beside manage.py),
read through django-environ. Defaults are safe for production: DEBUG is off
and SECRET_KEY is required unless DEBUG is on. `make run` writes a local
`.env` with DEBUG on and a generated key; see `.env.example`.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    env.read_env(_env_file)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# Without DEBUG there is no default: a missing SECRET_KEY stops start-up.
SECRET_KEY = env.str("SECRET_KEY") if not DEBUG else env.str("SECRET_KEY", default="")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only ever used with DEBUG on
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address, used in links inside emails and SMS.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with two-factor login (selvhjelp/admin_site.py).
    "selvhjelp.admin_apps.SelvhjelpAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "phonenumber_field",
    "csp",
    "selvhjelp.admin_apps.AuditlogConfig",  # django-auditlog
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "selvhjelp",
    "intake",
    "groups",
    "facilitators",
    "reports",
]

MIDDLEWARE = [
    # First: completes the security headers of every response, error pages too.
    "selvhjelp.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes and misshapen secret tokens never reach a view or the database.
    "selvhjelp.middleware.MalformedRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers cached public pages before the rest runs; gzips other HTML
    # (selvhjelp.pagecache).
    "selvhjelp.pagecache.PublicPageMiddleware",
    "selvhjelp.middleware.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "selvhjelp.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "selvhjelp.login_security.StaffIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
    # A view that loses the database answers 503 (the form keeps what was typed).
    "selvhjelp.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "selvhjelp.urls"
WSGI_APPLICATION = "selvhjelp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A kept connection is checked before it is used again, so a web process or
# worker carries on after PostgreSQL restarts instead of failing once.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------

LOGIN_URL = "facilitators:login"
LOGIN_REDIRECT_URL = "facilitators:overview"
# Links to choose a password (invitations and resets) work for three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Login security: two-factor, lock-out, staff idle timeout ----------------

# django-axes checks every login (admin and facilitators) before the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Refuses, unchecked, an attempt on an account that must wait (see below).
    "selvhjelp.login_security.AccountDelayBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Everyone who can use the admin logs in with a code from an authenticator app
# (or a backup code) after the password; see selvhjelp/two_factor.py. Only for
# local development may this be false: a system check refuses it without DEBUG.
ADMIN_2FA_REQUIRED = env.bool("ADMIN_2FA_REQUIRED", default=True)
# The name the authenticator app shows beside the codes.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Selvhjelp")
# The admin never shows anyone's secret or QR code again after set-up.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# After this many wrong passwords for one user name from one address, that
# user name is locked at that address for LOGIN_LOCKOUT_MINUTES. Keyed by the
# two together, so wrong passwords elsewhere never lock a real user out.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address as the interest form's rate limit sees it (PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "intake.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "selvhjelp.login_security.lockout_response"
# Any user name typed (any length, any Unicode) is stored normalised and cut
# to 150 characters, the longest a user name can be.
AXES_USERNAME_CALLABLE = "selvhjelp.login_security.axes_username"
# Per account, from any number of addresses: after this many wrong passwords
# or second-factor codes each attempt waits LOGIN_ACCOUNT_DELAY_SECONDS,
# doubled after each further failure, at most LOGIN_ACCOUNT_MAX_DELAY_MINUTES.
# No wait at an address the owner has logged in from in the last
# LOGIN_KNOWN_ADDRESS_DAYS, so a stranger cannot keep the owner out.
LOGIN_ACCOUNT_FREE_FAILURES = env.int("LOGIN_ACCOUNT_FREE_FAILURES", default=10)
LOGIN_ACCOUNT_DELAY_SECONDS = env.int("LOGIN_ACCOUNT_DELAY_SECONDS", default=30)
LOGIN_ACCOUNT_MAX_DELAY_MINUTES = env.int("LOGIN_ACCOUNT_MAX_DELAY_MINUTES", default=15)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)
# Password links per address typed into the reset form, per hour.
PASSWORD_RESET_EMAILS_PER_HOUR = env.int("PASSWORD_RESET_EMAILS_PER_HOUR", default=3)
# A staff session ends after this many minutes without a request.
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)

# --- Language and time ------------------------------------------------------

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("nn", _("Norwegian Nynorsk")), ("en", _("English"))]
# The public pages are in i18n_patterns: "/" is bokmål, "/nn/" nynorsk and
# "/en/" English, so the address says the language and a page can be cached
# without a cookie. Pages outside them (the admin, the facilitators' pages)
# follow the language cookie, set by the links of the language switch.
COOKIE_LANGUAGE_PATHS = [
    "/admin/",
    "/igangsetter/",
    "/stopp/",
    "/helse/",
    "/i18n/",
    "/sprak/",
    "/min-gruppe/",
]
# The project's catalogue, then the admin strings Django's own bokmål lacks (by hand).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "selvhjelp" / "admin_locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATIC_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

PHONENUMBER_DEFAULT_REGION = "NO"
PHONENUMBER_DB_FORMAT = "E164"

# "ds" (templates/ds/) writes Designsystemet's markup for the public and
# facilitator pages (templates/public_base.html). The Django admin does not use crispy.
CRISPY_ALLOWED_TEMPLATE_PACKS = ("ds",)
CRISPY_TEMPLATE_PACK = "ds"

# --- Email ------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Selvhjelp <ikke-svar@selvhjelp.local>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Seconds to wait for the mail server; without a limit a send can hang a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Celery -----------------------------------------------------------------

# Without a broker the portal still works: tasks run in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Fail fast when the broker is down: the request that enqueues must not hang.
# socket_timeout covers a broker that accepts connections but does not answer;
# without it publishing waits forever. Tests prove both cases.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses Redis (restarted, failed over) reconnects for ever
# instead of exiting, and gives back the tasks it held without acknowledging
# them (acks_late), so Redis hands them out again: nothing waits for a
# supervisor to restart the worker. Tasks are safe to run twice.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A send under way when Redis goes is left to finish (cancelling it could
# kill it between delivery and recording it); its task message may come
# again later, and the row's claim then sends nothing twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A worker killed mid-task (acks_late): Redis gives its task to another
# worker after this many seconds. The sweep covers sends sooner than that.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A periodic job that fails because the database is unreachable runs again
# this often, this many times (two hours), so an outage delays it by minutes.
JOB_RETRY_SECONDS = env.int("JOB_RETRY_SECONDS", default=120)
JOB_RETRY_MAX_TRIES = env.int("JOB_RETRY_MAX_TRIES", default=60)
# Every periodic job, in one place. Times are Europe/Oslo (CELERY_TIMEZONE).
# Each entry runs a job of selvhjelp.jobs (also `manage.py run_job <name>`);
# a job that finds nothing to do does nothing, so running one twice is safe.
CELERY_BEAT_SCHEDULE = {
    "send-due-messages": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("send_due_messages",),
        "schedule": crontab(),  # every minute
        # A sweep that waited longer than this is replaced by the next one.
        "options": {"expires": 50},
    },
    "staff-digest": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("staff_digest",),
        "schedule": crontab(
            hour=env.int("STAFF_DIGEST_HOUR", default=7),
            minute=env.int("STAFF_DIGEST_MINUTE", default=0),
        ),
        "options": {"expires": 3 * 60 * 60},
    },
    # Planned groups that have met are started; active groups keep 8 meetings ahead.
    "roll-groups-forward": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("roll_groups_forward",),
        "schedule": crontab(minute=5, hour="*/6"),
        "options": {"expires": 5 * 60 * 60},
    },
    # Groups whose facilitators have attended their last meeting run themselves.
    "move-groups-to-self-run": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("move_groups_to_self_run",),
        "schedule": crontab(minute=20),  # every hour
        "options": {"expires": 50 * 60},
    },
    # Reminders are written once their time (in the database) has come; a run
    # every 15 minutes sends them within a quarter of an hour of it, and a
    # late run still catches them before the meeting.
    "remind-first-meetings": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("remind_first_meetings",),
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    "remind-members-of-meetings": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("remind_members_of_meetings",),
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    "remind-facilitators-of-meetings": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("remind_facilitators_of_meetings",),
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    "remind-facilitators-of-follow-ups": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("remind_facilitators_of_follow_ups",),
        "schedule": crontab(minute=2),  # every hour; the reminder's time is FOLLOW_UP_REMINDER_HOUR
        "options": {"expires": 50 * 60},
    },
    # On the day a member's 12 weeks end; staff see the count in the digest.
    "tell-commitment-ends": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("tell_commitment_ends",),
        "schedule": crontab(
            hour=env.int("COMMITMENT_END_HOUR", default=10),
            minute=env.int("COMMITMENT_END_MINUTE", default=0),
        ),
        "options": {"expires": 3 * 60 * 60},
    },
    # Personal data past its retention period is deleted or anonymised (see
    # "Retention" below and intake.retention).
    "apply-retention": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("apply_retention",),
        "schedule": crontab(
            hour=env.int("RETENTION_HOUR", default=3),
            minute=env.int("RETENTION_MINUTE", default=30),
        ),
        "options": {"expires": 3 * 60 * 60},
    },
    # Expired sessions (Django keeps them until someone deletes them).
    "clear-expired-sessions": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("clear_expired_sessions",),
        "schedule": crontab(hour=4, minute=0),
        "options": {"expires": 3 * 60 * 60},
    },
    # Access log entries older than ACCESS_LOG_RETENTION_MONTHS.
    "prune-access-log": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("prune_access_log",),
        "schedule": crontab(hour=4, minute=10),
        "options": {"expires": 3 * 60 * 60},
    },
    # Submission keys older than SUBMISSION_KEY_HOURS.
    "clear-submission-keys": {
        "task": "selvhjelp.tasks.run_job",
        "args": ("clear_submission_keys",),
        "schedule": crontab(minute=40),  # every hour
        "options": {"expires": 50 * 60},
    },
}

# --- Messages (email and SMS) ---------------------------------------------------

# SMS go through this backend: selvhjelp.sms.ConsoleSmsBackend only logs that
# an SMS was sent (masked number and length, never the text);
# selvhjelp.sms.HttpSmsBackend posts JSON to an SMS gateway.
SMS_BACKEND = env.str("SMS_BACKEND", default="selvhjelp.sms.ConsoleSmsBackend")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10)
# The sender name shown on the phone: at most 11 letters and digits.
SMS_SENDER = env.str("SMS_SENDER", default="Selvhjelp")
# A failed message is tried again after 1, 2, 4, 8... minutes (at most 4 hours
# apart), this many tries in all: the default keeps trying for about 8 hours,
# then marks it failed for staff to see.
MESSAGES_MAX_ATTEMPTS = env.int("MESSAGES_MAX_ATTEMPTS", default=10)
MESSAGES_RETRY_BASE_SECONDS = env.int("MESSAGES_RETRY_BASE_SECONDS", default=60)
# A message claimed longer ago than this (the worker died mid-send) is taken
# over by the sweep. Must be far longer than EMAIL_TIMEOUT and SMS_HTTP_TIMEOUT.
MESSAGES_STALE_CLAIM_SECONDS = env.int("MESSAGES_STALE_CLAIM_SECONDS", default=10 * 60)
# A worker whose database connection drops right after a send reconnects and
# records the outcome, trying for this long (PostgreSQL restarting) before it
# gives up and leaves the row to the sweep. Keep it below the stale claim time.
MESSAGES_FINISH_RETRY_SECONDS = env.int("MESSAGES_FINISH_RETRY_SECONDS", default=5 * 60)
# After a restore: the sweep and each send compare the outbox's id sequence
# with the highest value seen (kept in Redis) and hold everything due when it
# went back, in case `after_restore` was not run (see the README's runbook).
MESSAGES_RESTORE_GUARD = env.bool("MESSAGES_RESTORE_GUARD", default=True)
# The domain of each email's Message-ID (<selvhjelp-<row>-<digest>@domain>);
# empty: the domain of DEFAULT_FROM_EMAIL.
MESSAGE_ID_DOMAIN = env.str("MESSAGE_ID_DOMAIN", default="")
# The daily digest counts interest forms still "new" this many days after they came in.
DIGEST_UNCONTACTED_DAYS = env.int("DIGEST_UNCONTACTED_DAYS", default=3)
# Reminders go out this many days before, counted in Oslo dates at the
# meeting's own clock time (18:00 two days before an 18:00 meeting, also
# when the clocks change in between): participants before their first
# meeting, facilitators before each meeting they attend and a follow-up.
PARTICIPANT_REMINDER_DAYS = env.int("PARTICIPANT_REMINDER_DAYS", default=2)
FACILITATOR_REMINDER_DAYS = env.int("FACILITATOR_REMINDER_DAYS", default=2)
# A follow-up has a date but no time: its reminder goes out at this hour (Oslo).
FOLLOW_UP_REMINDER_HOUR = env.int("FOLLOW_UP_REMINDER_HOUR", default=9)

# --- Facilitators -----------------------------------------------------------------

# The facilitators follow a group up after its first meetings: this many days
# after the FOLLOW_UP_AFTER_MEETINGS-th meeting that is not cancelled (4 and 7:
# on the day of the fifth weekly meeting).
FOLLOW_UP_AFTER_MEETINGS = env.int("FOLLOW_UP_AFTER_MEETINGS", default=4)
FOLLOW_UP_OFFSET_DAYS = env.int("FOLLOW_UP_OFFSET_DAYS", default=7)

# --- Retention and data rights (intake.retention) ------------------------------

# Interest forms withdrawn or closed without the person ever joining a group
# are deleted this many months after they ended.
INTAKE_RETENTION_MONTHS = env.int("INTAKE_RETENTION_MONTHS", default=12)
# People who were in a group are anonymised this many months after their last
# membership ended (and their form was no longer open): long enough for the
# centre's yearly reports and for a person who returns after a break to be
# recognised, short enough not to keep a register of who had problems.
MEMBERSHIP_RETENTION_MONTHS = env.int("MEMBERSHIP_RETENTION_MONTHS", default=24)
# A form the person withdrew with the link in their receipt is deleted by the
# first nightly run this many days after the withdrawal (0: the next night).
WITHDRAWAL_DELETE_AFTER_DAYS = env.int("WITHDRAWAL_DELETE_AFTER_DAYS", default=7)
# How long the withdrawal link in a receipt works.
WITHDRAWAL_LINK_MAX_AGE_DAYS = env.int("WITHDRAWAL_LINK_MAX_AGE_DAYS", default=365)
# How long the link to the person's status page ("Hvor står jeg?") in a receipt works.
STATUS_LINK_MAX_AGE_DAYS = env.int("STATUS_LINK_MAX_AGE_DAYS", default=365)
# A form that is still open (or "in a group" without an active membership)
# and has had no activity (a status change, a correction, a logged call or
# note) for this many months is shown to staff on the start page and in the
# digest; still without activity INTAKE_IDLE_WARNING_DAYS later, the nightly
# job closes it, and it is then deleted like any closed form.
INTAKE_IDLE_MONTHS = env.int("INTAKE_IDLE_MONTHS", default=12)
INTAKE_IDLE_WARNING_DAYS = env.int("INTAKE_IDLE_WARNING_DAYS", default=30)
# The key that stops a double click from saving a form twice is cleared this
# many hours after the form came in (the job clear_submission_keys, hourly).
SUBMISSION_KEY_HOURS = env.int("SUBMISSION_KEY_HOURS", default=24)
# Who opened, listed, exported or erased whom: kept this long, also after
# the person is erased (then under a pseudonym), and then deleted nightly.
ACCESS_LOG_RETENTION_MONTHS = env.int("ACCESS_LOG_RETENTION_MONTHS", default=24)
# Erasure asked for by a centre's staff member waits this many days for a
# second person (another staff member of the centre, or a superuser) to
# confirm it; then the request lapses.
ERASURE_REQUEST_DAYS = env.int("ERASURE_REQUEST_DAYS", default=7)
# A superuser who is not staff of a form's centre reads its themes and free
# text only after giving a reason (logged); the reason opens it this long.
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=30)

# --- Cache and the interest form's rate limit ---------------------------------

# Whole public pages (selvhjelp.pagecache): these URL names are cached per
# language for PAGE_CACHE_SECONDS (0 turns it off) and dropped when a centre,
# theme or time changes; browsers may keep them PAGE_BROWSER_SECONDS.
PUBLIC_PAGES = ["home", "about", "questions", "centres", "privacy", "accessibility"]
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
PAGE_BROWSER_SECONDS = env.int("PAGE_BROWSER_SECONDS", default=60)
# Part of every cached page's key, beside a fingerprint of the templates and
# translations: change it to drop every cached page at the next deploy.
PAGE_CACHE_VERSION = env.str("PAGE_CACHE_VERSION", default="1")

# The cache holds only short-lived counters (the form's rate limit). With Redis
# every web process shares them; without it each process counts on its own.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "selvhjelp",
            # A hanging Redis must not hang the form: the limit fails open.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The interest form's themes and times of week are kept in the cache and
# dropped from it when staff change them (intake.choices); a change made
# outside Django is seen after at most this many seconds.
CHOICES_CACHE_SECONDS = env.int("CHOICES_CACHE_SECONDS", default=300)
# Accepted interest forms per address per period; 0 turns the limit off.
INTAKE_RATE_LIMIT = env.int("INTAKE_RATE_LIMIT", default=5)
INTAKE_RATE_LIMIT_PERIOD = env.int("INTAKE_RATE_LIMIT_PERIOD", default=60 * 60)
# Reverse proxies in front of the portal that append to X-Forwarded-For. With
# 0 the client address is REMOTE_ADDR; behind one proxy set 1, or every
# person would share the proxy's address (and its limit).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# --- Security ---------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Everything from our own origin, nothing inline, no frames; the pages make no
# third-party requests (Bootstrap is vendored), so no other source is needed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}
# Sent by selvhjelp.middleware.PrivateResponseMiddleware: no page needs a
# camera, microphone, location or payment, so none may ask for them.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
# The health check answers on plain HTTP from a load balancer inside the host.
SECURE_REDIRECT_EXEMPT = [r"^helse/$"]
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# --- Audit -------------------------------------------------------------------

# Changes (and, via auditlog's `accessed` signal, reads) of people's data are
# logged by django-auditlog; see selvhjelp/audit.py for what is registered.
# Free text a person wrote is never copied into the log, not even half of it.
AUDITLOG_MASK_CALLABLE = "selvhjelp.audit.mask"
AUDITLOG_DISABLE_REMOTE_ADDR = True

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Secret path segments (withdrawal, calendar, stop and password links) are
    # replaced before any record is written: selvhjelp.log_scrubbing.
    "filters": {"scrub_secrets": {"()": "selvhjelp.log_scrubbing.ScrubSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request bodies never reach the logs; keep Django's request logger quiet
        # about 4xx so that URLs with tokens are not written either.
        "django.request": {"level": "ERROR"},
        # At DEBUG the template engine logs each missing variable with the
        # whole context, which may hold a person's form: never below INFO.
        "django.template": {"level": "INFO"},
    },
}
