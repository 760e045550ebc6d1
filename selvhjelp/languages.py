"""The language switch's links: the same page in each language, without a form.

On the public pages the language is in the address ("/", "/nn/", "/en/"), so
each link is that page's address in the other language (Django's
`translate_url`). The pages outside the prefixes (settings.COOKIE_LANGUAGE_PATHS:
the admin, the facilitators' pages) follow the language cookie: their links
go through `choose_language` (selvhjelp.views), which sets it and comes back.
Links, not a form: a page with the switch needs no CSRF cookie and can be
cached.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language_info


@dataclass
class LanguageLink:
    code: str
    name: str
    url: str
    current: bool


def language_links(request, current):
    path = request.get_full_path() if request is not None else "/"
    by_cookie = path.startswith(tuple(settings.COOKIE_LANGUAGE_PATHS))
    links = []
    for code, _name in settings.LANGUAGES:
        if by_cookie:
            url = reverse("choose-language", args=[code]) + "?" + urlencode({"neste": path})
        else:
            url = translate_url(path, code)
        links.append(
            LanguageLink(
                code=code,
                name=get_language_info(code)["name_local"],
                url=url,
                current=code == current,
            )
        )
    return links
