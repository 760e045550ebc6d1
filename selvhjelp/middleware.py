from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class CookieLocaleMiddleware:
    """Choose the language from the language-switch cookie, else Norwegian.

    Django's LocaleMiddleware would follow the browser's Accept-Language and
    show English to anyone with an English browser; the portal is Norwegian
    first and offers English only when the person asks for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateResponseMiddleware:
    """Keep pages out of every cache and turn off browser features we never use.

    Nearly every page here can show personal data (the admin, facilitator
    pages, the receipt after the interest form, stop and withdrawal links),
    and the public pages carry a CSRF token in the language switch, so no
    response may be stored by a browser or proxy. Static files are served by
    WhiteNoise before this middleware and keep their long cache lifetimes.
    Django has no setting for Permissions-Policy, hence these few lines.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response
