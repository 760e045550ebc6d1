"""Login security that is not two-factor: staff idle timeout and the login lock-out.

- Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES without a request
  (StaffIdleTimeoutMiddleware). Facilitators keep Django's usual session age.
- django-axes counts failed logins per user name AND address together (see
  AXES_* in settings), with the address the interest form's rate limit
  uses: intake.ratelimit.client_address, past PROXY_COUNT trusted proxies.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import render

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
