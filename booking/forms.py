"""The base of every web form: Flask-WTF (CSRF) plus what no field of any form may hold."""

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField

from .idempotency.forms import IdempotentForm
from .inputs import FIRST_DAY, LAST_DAY, day_in_range, has_control

CONTROL_MESSAGE = _l("This contains characters that are not allowed (control characters).")


class BaseForm(IdempotentForm, FlaskForm):
    """Every POST carries its own idempotency key (a double tap lands on the first answer).
    Refuses control characters in every value sent, whatever the field (a text area may hold
    tabs and line breaks), so no NUL reaches PostgreSQL and none is stored in SQLite."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            multiline = isinstance(field, TextAreaField)
            if any(isinstance(v, str) and has_control(v, multiline) for v in field.raw_data or ()):
                field.errors = [*field.errors, CONTROL_MESSAGE]
                valid = False
        return valid


class ActionForm(BaseForm):
    """An empty form: carries the CSRF token (and idempotency key) of a button."""


def out_of_range_message() -> str:
    return str(_l("Enter a date from %(first)s to %(last)s.", first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))


class DayField(DateField):
    """A date typed as YYYY-MM-DD, in the range the product deals with; errors in our words."""

    bad_format = _l("Enter a date like 2026-11-25.")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.bad_format)) from None
        if self.data is not None and not day_in_range(self.data):
            self.data = None
            raise ValueError(out_of_range_message())


def put_error(form, err, aliases: dict | None = None, by_code: dict | None = None) -> None:
    """Show a service's DomainError on the field it names (after `aliases`; else the field
    `by_code` gives for its code), or above the form."""
    name = err.details.get("field") or (by_code or {}).get(err.code, "")
    name = (aliases or {}).get(name, name)
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, err.message]
    else:
        form.form_errors.append(err.message)


def posted_slot(form, render):
    """A slot form's POST (book it, join its line, apply for its draw): the facility and start
    texts it carried, and None when it validated; else also the answer: an expired form's page
    (400) or the form again with its errors (422, drawn by `render`)."""
    facility_text, start_text = form.facility_id.data or "", form.start.data or ""
    if form.validate_on_submit():
        return facility_text, start_text, None
    if form.csrf_token.errors:
        page = render_template("errors/error.html", status=400, message=_("The form expired. Please try again."))
        return facility_text, start_text, (page, 400)
    return facility_text, start_text, render(form, facility_text, start_text, status=422)
