"""Two-factor authentication for the admin (django-otp): set-up, verification, backup codes.

Everyone who can use the admin (staff and superusers) logs in with their
password and then a code: from an authenticator app (TOTP), or one of ten
backup codes (static tokens, each works once). A session that has not passed
this step is refused by the admin site (selvhjelp.admin_site). Facilitators
log in at /igangsetter/ and are not concerned.

The pages are served by the admin site (see SelvhjelpAdminSite.get_urls):
  tofaktor/          enter a code, after the password
  tofaktor/sett-opp/ first time: scan the QR code, confirm with a code
  tofaktor/reservekoder/ see how many backup codes are left, make new ones
"""

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import login_security

BACKUP_CODE_COUNT = 10
# Backup codes shown once after they were made; popped by the page that shows them.
NEW_CODES_SESSION_KEY = "two_factor_new_codes"
APP_DEVICE_NAME = "authenticator app"
BACKUP_DEVICE_NAME = "backup codes"


def required():
    """False only where ADMIN_2FA_REQUIRED relaxes it (local development)."""
    return settings.ADMIN_2FA_REQUIRED


def may_use_admin(user):
    return user.is_authenticated and user.is_active and user.is_staff


def needs_verification(user):
    """True when the user may use the admin but this session has not passed 2FA."""
    # A user just logged in by auth.login() has no OTP fields yet (the
    # middleware adds them per request); that session is unverified.
    is_verified = getattr(user, "is_verified", None)
    return required() and may_use_admin(user) and not (is_verified and is_verified())


# --- Devices -------------------------------------------------------------------


def pending_app_device(user):
    """The user's authenticator-app device being set up (the same one until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def new_backup_codes(user):
    """Replace the user's backup codes with BACKUP_CODE_COUNT new ones and return them."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def secret_for_manual_entry(device):
    """The secret as the apps ask for it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device):
    """The set-up QR code as an SVG data URI: drawn here, no outside service."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _clean(code):
    return "".join((code or "").split()).replace("-", "").lower()


def check_code(user, code):
    """The confirmed device that accepts `code`, and whether throttling refused it.

    Six digits are tried against the authenticator app, anything else against
    the backup codes. After wrong codes django-otp makes each device wait
    (1, 2, 4, 8... seconds) before it checks again.
    """
    code = _clean(code)
    if not code:
        return None, False
    if code.isdigit() and len(code) == 6:
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    else:
        devices = StaticDevice.objects.devices_for_user(user, confirmed=True)
    throttled = False
    for device in devices:
        allowed, _reason = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified, False
    return None, throttled


def mark_verified(request, device):
    """This session passed 2FA with `device`; a new session key, as at login."""
    otp_login(request, device)
    request.session.cycle_key()
    login_security.record_known_address(
        request.user.get_username(), login_security.client_address(request)
    )


# --- Forms -----------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        error_messages={"required": gettext_lazy("Write the code.")},
    )


# --- Views (served by the admin site, which passes itself as `site`) -------------


def _account_waits(request, form):
    """Wrong codes count toward the account's delay (login_security); say how long to wait."""
    wait = login_security.seconds_to_wait(
        request.user.get_username(), login_security.client_address(request)
    )
    if wait:
        form.add_error("code", login_security.wait_message(wait))
    return bool(wait)


def _next_url(request, site):
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index", current_app=site.name)


def _to(name, request, site, next_url=None):
    url = reverse(f"admin:{name}", current_app=site.name)
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url or _next_url(request, site)})}"


def _context(request, site, title, **extra):
    return {
        **site.each_context(request),
        "title": title,
        "next": _next_url(request, site),
        "logout_url": reverse("admin:logout", current_app=site.name),
        **extra,
    }


def verify(request, site):
    """After the password: a code from the app or a backup code."""
    user = request.user
    if not may_use_admin(user):
        return redirect(_to("login", request, site))
    if not needs_verification(user):
        return redirect(_next_url(request, site))
    if not user_has_device(user, confirmed=True):
        return redirect(_to("two-factor-setup", request, site))

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _account_waits(request, form):
        device, throttled = check_code(user, form.cleaned_data["code"])
        if device is None:
            login_security.record_failure(user.get_username())
        if device is not None:
            mark_verified(request, device)
            if isinstance(device, StaticDevice):
                left = backup_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a backup code. You have %(count)d left.",
                        "You used a backup code. You have %(count)d left.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(_next_url(request, site))
        if throttled:
            form.add_error(
                "code", _("Too many wrong codes in a row. Wait a minute, then try again.")
            )
        else:
            form.add_error(
                "code",
                _(
                    "The code is not right. Use the newest code in the app, "
                    "or one of your backup codes."
                ),
            )
    return TemplateResponse(
        request,
        "admin/two_factor/verify.html",
        _context(request, site, _("Confirm that it is you"), form=form),
    )


def setup(request, site):
    """First login: add the portal to an authenticator app and confirm with a code."""
    user = request.user
    if not may_use_admin(user):
        return redirect(_to("login", request, site))
    if user_has_device(user, confirmed=True):
        if needs_verification(user):
            return redirect(_to("two-factor", request, site))
        return redirect(_next_url(request, site))

    device = pending_app_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _account_waits(request, form):
        allowed, _reason = device.verify_is_allowed()
        code = _clean(form.cleaned_data["code"])
        if not allowed:
            form.add_error(
                "code", _("Too many wrong codes in a row. Wait a minute, then try again.")
            )
        elif device.verify_token(code):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = new_backup_codes(user)
            mark_verified(request, device)
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(_to("two-factor-backup-codes", request, site))
        else:
            login_security.record_failure(user.get_username())
            form.add_error(
                "code",
                _(
                    "The code is not right. Check that the app shows Selvhjelp, "
                    "and write the six digits it shows now."
                ),
            )
    return TemplateResponse(
        request,
        "admin/two_factor/setup.html",
        _context(
            request,
            site,
            _("Set up two-step login"),
            form=form,
            qr_code=qr_code_data_uri(device),
            secret=secret_for_manual_entry(device),
        ),
    )


def backup_codes(request, site):
    """New backup codes, shown once; or how many are left, with a button for new ones.

    Served through admin_view: only sessions that passed 2FA get here.
    """
    if request.method == "POST":
        request.session[NEW_CODES_SESSION_KEY] = new_backup_codes(request.user)
        return redirect(_to("two-factor-backup-codes", request, site))
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    return TemplateResponse(
        request,
        "admin/two_factor/backup_codes.html",
        _context(
            request,
            site,
            _("Backup codes"),
            codes=codes,
            left=backup_codes_left(request.user),
        ),
    )
