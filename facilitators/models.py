from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from selvhjelp.models import Centre


class Facilitator(models.Model):
    """A volunteer (igangsetter) who starts groups and then withdraws."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="facilitator",
        verbose_name=_("user"),
    )
    centres = models.ManyToManyField(Centre, related_name="facilitators", verbose_name=_("centres"))
    phone = PhoneNumberField(_("mobile number"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["user__first_name", "user__last_name"]
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()
