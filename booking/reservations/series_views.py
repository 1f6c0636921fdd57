"""Enterprise admins book a team slot every week (e.g. Tuesdays 19:00 for 8 weeks)."""
from datetime import date, datetime, time

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from .. import timeutil
from ..errors import DomainError, Forbidden
from ..facilities.services import visible_facilities
from ..forms import BaseForm, out_of_range_message
from ..inputs import day_in_range
from . import services
from .forms import whole_number

bp = Blueprint("series", __name__, url_prefix="/bookings/series")


def _whole(low: int, high: int):
    def check(form, field):
        text = (field.data or "").strip()
        if not whole_number(text, 3) or not low <= int(text) <= high:
            raise ValidationError(_l("Enter a number from %(low)d to %(high)d.", low=low, high=high))
    return check


def _date(form, field):
    try:
        day = date.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationError(_l("Enter a date like 2026-11-25.")) from None
    if not day_in_range(day):
        raise ValidationError(out_of_range_message())


def _time(form, field):
    try:
        time.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationError(_l("Enter a time like 19:00.")) from None


class SeriesForm(BaseForm):
    facility_id = SelectField(_l("Facility"), coerce=str, validators=[DataRequired(_l("Choose a facility"))])
    first_day = StringField(_l("First date"), validators=[_date], render_kw={"type": "date"})
    at = StringField(_l("Time"), validators=[_time], render_kw={"type": "time", "step": "300"})
    weeks = StringField(_l("Weeks"), default="4", validators=[_whole(1, 26)], render_kw={"inputmode": "numeric"})
    party_size = StringField(_l("How many people"), default="1", validators=[_whole(1, 50)],
                             render_kw={"inputmode": "numeric"})


@bp.route("/", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.has_role("enterprise_admin") or not current_user.is_worker:
        raise Forbidden(_l("Only an enterprise admin can book a series."))
    now = timeutil.utcnow()
    facilities = visible_facilities(current_user, timeutil.local_date(now, "Asia/Shanghai"))
    form = SeriesForm()
    form.facility_id.choices = [SelectChoice(str(f.id), f"{f.venue.name} · {f.name}") for f in facilities]
    results, error, status, tz = None, None, 200, None
    if form.validate_on_submit():
        facility = next(f for f in facilities if str(f.id) == form.facility_id.data)
        tz = facility.venue.timezone
        local = datetime.combine(date.fromisoformat(form.first_day.data.strip()),
                                 time.fromisoformat(form.at.data.strip()))
        try:
            results = services.book_series(current_user, facility.id, timeutil.as_utc(local, tz),
                                           int(form.weeks.data), int(form.party_size.data), now=now)
        except DomainError as err:
            error, status = err.message, err.status
    elif form.is_submitted():
        status = 400
    return render_template("reservations/series.html", form=form, results=results, error=error, tz=tz,
                           has_facilities=bool(facilities)), status
