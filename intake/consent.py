"""The consent text people agree to on the interest form, with its version.

Change CONSENT_VERSION whenever the text changes: each intake stores the
version it agreed to.
"""

from django.utils.translation import gettext_lazy as _

CONSENT_VERSION = "2026-11"

CONSENT_SUMMARY = _(
    "I agree that the centre I have chosen stores what I write in this form, including "
    "what I tell about my situation, to contact me and find a group for me. Only the "
    "centre's staff can see it. I can withdraw my consent at any time."
)
