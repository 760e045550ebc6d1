"""The one base class of every broken business rule.

Each app raises its own subclass (IntakeError, GroupRuleError,
FacilitatorError, MessageError) from its services with one or more
Norwegian, user-readable messages. Forms, admin views and pages catch
RuleError and show `messages` next to the field or at the top of the page
(selvhjelp.forms.ServiceForm does it for a form); it never becomes a 500.
"""


class RuleError(Exception):
    """A business rule was broken; `messages` are shown to the user as they are."""

    def __init__(self, *messages):
        self.messages = [str(message) for message in messages]
        super().__init__(" ".join(self.messages))
