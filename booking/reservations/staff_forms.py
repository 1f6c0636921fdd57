"""Host staff forms (Flask-WTF: CSRF on every one). Business checks stay in the services."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import ActionForm as ActionForm  # one empty form (booking.forms)
from ..forms import BaseForm, DayField
from ..inputs import id_arg

REASON_MAX = 255


class ReasonForm(BaseForm):
    """Reject or cancel one booking (or all those a blackout hits): the worker is told why."""

    reason = TextAreaField(
        _l("Reason (the worker will see it)"),
        validators=[
            DataRequired(_l("Please give the worker a reason.")),
            Length(max=REASON_MAX, message=_l("The reason is too long (at most 255 characters).")),
        ],
    )


class BulkDecisionForm(BaseForm):
    ids = SelectMultipleField(coerce=id_arg, validate_choice=False)
    reason = TextAreaField(
        _l("Reason for rejecting (the worker will see it)"),
        validators=[Optional(), Length(max=REASON_MAX, message=_l("The reason is too long (at most 255 characters)."))],
    )
    approve = SubmitField(_l("Approve selected"))
    reject = SubmitField(_l("Reject selected"))


class _LocalTime(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a time like 19:00."))) from None


class BlackoutForm(BaseForm):
    day = DayField(_l("Date"), validators=[InputRequired(_l("Enter a date like 2026-11-25."))])
    starts = _LocalTime(_l("From"), validators=[InputRequired(_l("Enter a time like 19:00."))])
    ends = _LocalTime(_l("Until"), validators=[InputRequired(_l("Enter a time like 19:00."))])
    reason = StringField(
        _l("Reason (e.g. floor maintenance)"),
        validators=[
            DataRequired(_l("Please give a reason (the workers affected will see it).")),
            Length(max=REASON_MAX, message=_l("The reason is too long (at most 255 characters).")),
        ],
    )
    weeks = StringField(
        _l("Every week, for how many weeks (1: only this day)"), default="1", render_kw={"inputmode": "numeric"}
    )

    def weeks_count(self):
        """The number typed, or None when it is not a plain number (the service says why)."""
        text = (self.weeks.data or "1").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None
