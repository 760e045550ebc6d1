from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers


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
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response
