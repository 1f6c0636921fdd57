"""Host admin forms for agreements and the no-show policy (Flask-WTF: CSRF on every one).

The forms only turn text into values; the limits themselves (0-168 hours, whole bookings, dates in
order, one party) are the services' rules, so a bad number reaches the service and its message.
"""

import math

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from ..forms import BaseForm, DayField


def number_or_text(text):
    """'' -> None (no limit); '8' -> 8; '1.5' -> 1.5; anything else stays text for the service to refuse."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    if len(text) <= 20:
        try:
            value = float(text)
        except ValueError:
            return text
        if math.isfinite(value):
            return value
    return text


def whole_or_text(text):
    """A whole number, or the text as typed (the service refuses it with its own message)."""
    value = number_or_text(text)
    return value if isinstance(value, int) else (text or "").strip()


def id_or_none(text):
    """The id chosen in a select; a forged value becomes -1, which the service reports as unknown."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else -1


HOURS_HINT = _l("Hours per week for the whole enterprise (empty: no limit)")
BOOKINGS_HINT = _l("Bookings per worker per week (empty: no limit)")


class LimitsForm(BaseForm):
    hours = StringField(HOURS_HINT, render_kw={"inputmode": "decimal", "autocomplete": "off"})
    bookings_per_worker = StringField(BOOKINGS_HINT, render_kw={"inputmode": "numeric", "autocomplete": "off"})

    def limits(self) -> dict:
        return {
            "hours": number_or_text(self.hours.data),
            "bookings_per_worker": number_or_text(self.bookings_per_worker.data),
        }


class AgreementForm(LimitsForm):
    host_id = SelectField(_l("Host"), validate_choice=False)
    enterprise_id = SelectField(_l("Enterprise"), validate_choice=False)
    group_id = SelectField(_l("Or a union: all its enterprises"), validate_choice=False)
    facility_ids = SelectMultipleField(_l("Facilities"), validate_choice=False)
    scope = SelectField(
        _l("Facilities"),
        choices=[SelectChoice("all", _l("All facilities")), SelectChoice("some", _l("Only these:"))],
        default="all",
        validate_choice=False,
    )
    valid_from = DayField(_l("Valid from"), validators=[InputRequired(_l("Enter a date like 2026-11-25."))])
    valid_until = DayField(_l("Valid until (empty: no end)"), validators=[Optional()])

    def validate_facility_ids(self, field):
        if self.scope.data == "some" and not field.data:
            raise ValidationError(_l("Tick at least one facility, or choose all facilities."))

    def facility_id_list(self) -> list[int]:
        if self.scope.data != "some":
            return []
        return [id_or_none(v) or -1 for v in (self.facility_ids.data or [])[:500]]


class EndForm(BaseForm):
    valid_until = DayField(_l("Last day"), validators=[InputRequired(_l("Enter a date like 2026-11-25."))])


class PolicyForm(BaseForm):
    no_show_limit = StringField(_l("No-shows"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    within_days = StringField(_l("Within (days)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    suspend_days = StringField(
        _l("Suspend for (days, 0: never)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )

    def values(self) -> dict:
        return {
            name: whole_or_text(getattr(self, name).data) for name in ("no_show_limit", "within_days", "suspend_days")
        }
