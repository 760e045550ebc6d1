"""Login security that is not two-factor: staff idle timeout, lock-out and delays.

- Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES without a request
  (StaffIdleTimeoutMiddleware). Facilitators keep Django's usual session age.
- django-axes counts failed logins per user name AND address together (see
  AXES_* in settings), with the address the interest form's rate limit
  uses: intake.ratelimit.client_address, past PROXY_COUNT trusted proxies.
  It stores the user name as `axes_username` gives it (normalised, without
  NUL, at most 150 characters), so any name typed gives the usual answer.
- Per account, whatever the addresses: after LOGIN_ACCOUNT_FREE_FAILURES
  wrong passwords or second-factor codes, each further attempt waits
  LOGIN_ACCOUNT_DELAY_SECONDS, doubling with each failure up to
  LOGIN_ACCOUNT_MAX_DELAY_MINUTES (AccountDelayBackend). A stranger can thus
  delay the owner by at most that much, and not at all at an address the
  owner logged in from before (LOGIN_KNOWN_ADDRESS_DAYS). The counts live in
  the cache under a keyed hash of the user name.
- At most PASSWORD_RESET_EMAILS_PER_HOUR password links per address typed
  into the reset form per hour (`allow_reset_email`).
"""

import hashlib
import math
import time
import unicodedata

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

# The longest user name Django's user model stores; a longer one can belong to nobody.
USERNAME_MAX_LENGTH = 150

# When the session's expiry was last pushed forward (seconds since the epoch).
SEEN_KEY = "staff_seen_at"
# Push the expiry forward at most once a minute, so a page with many requests
# does not write the session on each of them; a session thus ends between
# STAFF_IDLE_TIMEOUT_MINUTES - 1 and STAFF_IDLE_TIMEOUT_MINUTES after the
# last request.
REFRESH_SECONDS = 60


def idle_timeout_seconds():
    return settings.STAFF_IDLE_TIMEOUT_MINUTES * 60


def _refresh(session):
    session.set_expiry(idle_timeout_seconds())
    session[SEEN_KEY] = int(time.time())


@receiver(user_logged_in)
def _start_staff_session(sender, request, user, **kwargs):
    if user.is_staff and getattr(request, "session", None) is not None:
        _refresh(request.session)


class StaffIdleTimeoutMiddleware:
    """A staff session lives STAFF_IDLE_TIMEOUT_MINUTES after its last request.

    The session's expiry (in the session store and the cookie) is moved
    forward as long as staff keep working; an idle session expires in the
    store, and the next request finds the user logged out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            seen = request.session.get(SEEN_KEY, 0)
            if time.time() - seen >= REFRESH_SECONDS:
                _refresh(request.session)
        return self.get_response(request)


def lockout_response(request, original_response=None, credentials=None):
    """The Norwegian lock-out page (AXES_LOCKOUT_CALLABLE), status 429."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return render(
        request,
        "login_locked_out.html",
        {"minutes": minutes, "login_path": request.path},
        status=429,
    )


# --- User names as typed ------------------------------------------------------------


def clean_username(value):
    """A typed user name in the form every check and count uses.

    NFKC-normalised as Django's login form does, a NUL (which PostgreSQL
    refuses) replaced by U+FFFD (which no user name has), and cut to
    USERNAME_MAX_LENGTH after normalising, since normalising can lengthen it.
    """
    value = unicodedata.normalize("NFKC", str(value or "")).replace("\x00", "\ufffd")
    return value[:USERNAME_MAX_LENGTH]


def axes_username(request, credentials):
    """AXES_USERNAME_CALLABLE: the user name axes stores and locks (clean_username)."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return clean_username(username)


def _account_hash(username):
    # A keyed hash: the cache holds no user names, and differently written
    # names of one account (case, compatibility forms) share one count.
    return salted_hmac("selvhjelp.login.account", clean_username(username).casefold()).hexdigest()[
        :32
    ]


def wait_message(seconds):
    """'Wait N minutes' in the user's language, rounded up to whole minutes."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed attempts to log in to this user. Wait %(count)d minute, then try again.",
        "Too many failed attempts to log in to this user. Wait %(count)d minutes, then try again.",
        minutes,
    ) % {"count": minutes}


def reset_wait_message(seconds):
    """'Wait N minutes' for the password-link form."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "We have sent several links to this address in the last hour. "
        "Wait %(count)d minute, then ask again.",
        "We have sent several links to this address in the last hour. "
        "Wait %(count)d minutes, then ask again.",
        minutes,
    ) % {"count": minutes}


# --- Delays per account -------------------------------------------------------------


def _failures_key(username):
    return f"login-account:{_account_hash(username)}"


def _known_key(username):
    return f"login-known:{_account_hash(username)}"


def _address_hash(address):
    return hashlib.sha256(salted_hmac("selvhjelp.login.address", address).digest()).hexdigest()[:16]


def delay_after(failures):
    """Seconds an account waits after its `failures`-th failure in a row."""
    free = settings.LOGIN_ACCOUNT_FREE_FAILURES
    if failures < free:
        return 0
    cap = settings.LOGIN_ACCOUNT_MAX_DELAY_MINUTES * 60
    return min(cap, settings.LOGIN_ACCOUNT_DELAY_SECONDS * 2 ** min(failures - free, 20))


def _is_known_address(username, address):
    return _address_hash(address) in (cache.get(_known_key(username)) or [])


def seconds_to_wait(username, address):
    """How long this account must wait before the next attempt from `address` (0: none)."""
    if _is_known_address(username, address):
        return 0
    state = cache.get(_failures_key(username))
    if not state:
        return 0
    failures, last = state
    return max(0, math.ceil(last + delay_after(failures) - time.time()))


def record_failure(username):
    """Count one wrong password or second-factor code for the account."""
    key = _failures_key(username)
    failures, _last = cache.get(key) or (0, 0)
    # The count is forgotten a day after the last failure.
    cache.set(key, (failures + 1, time.time()), timeout=24 * 60 * 60)


def record_known_address(username, address):
    """The owner logged in from `address`: no delay there from now on."""
    key = _known_key(username)
    known = [entry for entry in (cache.get(key) or []) if entry != _address_hash(address)]
    known = [_address_hash(address), *known][:10]
    cache.set(key, known, timeout=settings.LOGIN_KNOWN_ADDRESS_DAYS * 24 * 60 * 60)


def client_address(request):
    """The address as the interest form's limit and axes see it (PROXY_COUNT)."""
    from intake import ratelimit

    return ratelimit.client_address(request)


class AccountDelayBackend:
    """Refuses an attempt while its account waits; checks no password itself.

    It has no get_user(), like axes' backend, so no session is ever tied to it.

    Placed after axes' backend and before Django's. The refusal sets
    `request.login_wait_seconds`, which the login forms turn into the
    Norwegian "wait N minutes"; the refused attempt still counts for axes
    (user name and address) but not again for the account.
    """

    def authenticate(self, request, username=None, **kwargs):
        if request is None or username is None:
            return None
        wait = seconds_to_wait(username, client_address(request))
        if wait:
            request.login_wait_seconds = wait
            raise PermissionDenied
        return None


@receiver(user_login_failed)
def _count_failed_login(sender, credentials, request=None, **kwargs):
    # Not again for an attempt refused unchecked (waiting, or locked by axes).
    if request is None or getattr(request, "login_wait_seconds", 0):
        return
    if getattr(request, "axes_locked_out", False):
        return
    username = credentials.get("username")
    if username is not None:
        record_failure(username)


@receiver(user_logged_in)
def _remember_address(sender, request, user, **kwargs):
    from . import two_factor

    # Staff are "in" only after the second factor (two_factor.mark_verified):
    # a password alone must not spare its owner the wait for code guesses.
    if request is not None and not two_factor.needs_verification(user):
        record_known_address(user.get_username(), client_address(request))


class LoginDelayFormMixin:
    """For a login form (AuthenticationForm): say how long to wait, and take any user name.

    Any text typed as user name or password (any length, NUL bytes, any
    Unicode) reaches authenticate(), so the attempt is counted and answered
    like any wrong password; only a delayed account hears how long to wait.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("username", "password"):
            field = self.fields[name]
            field.validators = [v for v in field.validators if not _refuses_nul(v)]

    def clean_username(self):
        return clean_username(self.cleaned_data["username"])

    def get_invalid_login_error(self):
        wait = getattr(self.request, "login_wait_seconds", 0)
        if wait:
            # For a page that shows its own text for a wrong password.
            self.login_wait_message = wait_message(wait)
            return ValidationError(self.login_wait_message, code="wait")
        return super().get_invalid_login_error()


def _refuses_nul(validator):
    from django.core.validators import ProhibitNullCharactersValidator

    return isinstance(validator, ProhibitNullCharactersValidator)


# --- Password links -----------------------------------------------------------------


def allow_reset_email(email):
    """Count one password-link request for `email`; seconds to wait when over the limit.

    Counted per address typed, whether or not an account has it, so the
    answer tells nobody who has an account. Returns 0 when a link may go.
    """
    limit = settings.PASSWORD_RESET_EMAILS_PER_HOUR
    key = f"login-reset:{_account_hash(email)}"
    now = time.time()
    sent = [moment for moment in (cache.get(key) or []) if moment > now - 3600]
    if len(sent) >= limit:
        return math.ceil(sent[0] + 3600 - now)
    cache.set(key, [*sent, now], timeout=3600)
    return 0
