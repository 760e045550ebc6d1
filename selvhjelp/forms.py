"""Form helpers shared by every app: a broken rule is shown, never a 500.

Services raise selvhjelp.errors.RuleError (or a subclass) with Norwegian
messages. A form whose save calls a service is a ServiceForm: its save()
returns the service's result, or None after putting the messages on the form,
so a view or an admin page handles every service the same way.
"""

from django import forms

from .errors import RuleError


def add_rule_errors(form, errors):
    """Put a rules check's errors on `form`.

    `errors` is a RuleError (its messages go to the top of the form) or a
    {field name: [messages]} dict from a check function (each message next to
    its field, or at the top when the form has no such field). A field that
    did not validate keeps its own message: the check saw no value for it.
    """
    if isinstance(errors, RuleError):
        errors = {None: errors.messages}
    for name, messages in errors.items():
        field = name if name in form.fields else None
        if field is not None and field in form.errors:
            continue
        for message in messages:
            form.add_error(field, message)


class ServiceForm(forms.Form):
    """A form that validates its input, then calls one service in `call_service`.

    `save(**kwargs)` passes the keyword arguments (the actor...) on and returns
    what the service returned. A RuleError becomes errors on the form and
    save() returns None. A RuleError that carries `warnings` (guidelines staff
    may accept) leaves them in `self.warnings` instead, for the page to show
    with a button to accept them.
    """

    warnings = ()

    def call_service(self, **kwargs):
        raise NotImplementedError

    def save(self, **kwargs):
        try:
            return self.call_service(**kwargs)
        except RuleError as error:
            warnings = getattr(error, "warnings", None)
            if warnings is not None:
                self.warnings = warnings
            else:
                add_rule_errors(self, error)
            return None
