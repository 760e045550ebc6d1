import re

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from . import log_scrubbing


class CookieLocaleMiddleware:
    """Choose the language from the address, or for a few pages the cookie, else bokmål.

    The public pages say their language in the address ("/en/...", "/nn/...";
    bokmål has no prefix), so each address is one page, cacheable as it is.
    Pages outside the language prefixes (settings.COOKIE_LANGUAGE_PATHS: the
    admin, the facilitators' pages) follow the cookie the language switch
    sets. Django's LocaleMiddleware would also follow the browser's
    Accept-Language and show English to anyone with an English browser; the
    portal is Norwegian first and offers other languages when asked.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}
        self.cookie_paths = tuple(settings.COOKIE_LANGUAGE_PATHS)

    def __call__(self, request):
        language = translation.get_language_from_path(request.path_info)
        from_cookie = language is None and request.path_info.startswith(self.cookie_paths)
        if from_cookie:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if from_cookie:
            patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateResponseMiddleware:
    """Keep pages out of every cache and turn off browser features we never use.

    Nearly every page here can show personal data (the admin, facilitator
    pages, the receipt after the interest form, stop and withdrawal links),
    so no response may be stored by a browser or proxy unless its view says
    otherwise: the public pages (selvhjelp.pagecache.public_page) are the same
    for everyone and may be kept a minute. Static files are served by
    WhiteNoise before this middleware and keep their long cache lifetimes.
    Django has no setting for Permissions-Policy, hence these few lines.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return private_headers(self.get_response(request))


def private_headers(response):
    """Permissions-Policy, and no caching unless the response says otherwise."""
    response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
    if "Cache-Control" not in response.headers:
        add_never_cache_headers(response)
    return response


# What a secret in a link can be made of: Django's signed values (base64url,
# ":" and a leading "."), secrets.token_urlsafe and the password link's parts.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-:.=~]{1,400}")


class MalformedRequestMiddleware:
    """Refuse input no browser sends before it can reach the database.

    PostgreSQL refuses text with a NUL byte; any query given one fails with a
    500. A NUL in the path answers 404 and in the query string 400; a cookie
    with one is dropped and a header's NUL replaced, so a session cookie or
    User-Agent cannot carry one into a query either. A keyword argument that
    holds a secret (`token`, and the names in log_scrubbing) of a different
    shape answers 404 before the view looks anything up: no secret we make has
    other characters, or is longer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise Http404
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            raise BadRequest("NUL in the query string")
        for name in [name for name, value in request.COOKIES.items() if "\x00" in name + value]:
            del request.COOKIES[name]
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                request.META[key] = value.replace("\x00", "\ufffd")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for name in log_scrubbing.secret_kwarg_names():
            value = view_kwargs.get(name)
            if value is not None and not TOKEN_SHAPE.fullmatch(str(value)):
                raise Http404
        return None


class SecurityHeadersMiddleware:
    """The security headers of a normal page on every response, error pages too.

    First in MIDDLEWARE. The middleware that sets the headers (Django's
    SecurityMiddleware and XFrameOptionsMiddleware, django-csp,
    PrivateResponseMiddleware) answer only for responses that pass back
    through them; a response made further out, such as the 400 for a bad
    Host raised inside SecurityMiddleware itself, would have none. Here each
    of them completes the final response; headers already set stay as they are.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.completers = [
            SecurityMiddleware(get_response),
            XFrameOptionsMiddleware(get_response),
            CSPMiddleware(get_response),
        ]

    def __call__(self, request):
        response = self.get_response(request)
        for completer in self.completers:
            response = completer.process_response(request, response)
        return private_headers(response)
