"""Enterprise admins book a team slot every week (e.g. Tuesdays 19:00 for 8 weeks), then see
their enterprise's series, pause one for some weeks or cancel it."""

from datetime import date, datetime, time

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from .. import timeutil
from ..errors import DomainError, Forbidden
from ..facilities.services import visible_facilities
from ..forms import ActionForm, BaseForm, DayField, out_of_range_message
from ..i18n import home_timezone
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
    party_size = StringField(
        _l("How many people"), default="1", validators=[_whole(1, 50)], render_kw={"inputmode": "numeric"}
    )


class PauseForm(BaseForm):
    first_day = DayField(_l("From"), validators=[InputRequired(_l("Enter a date like 2026-11-25."))])
    last_day = DayField(_l("Until"), validators=[InputRequired(_l("Enter a date like 2026-11-25."))])


def _enterprise_admin() -> None:
    if not current_user.has_role("enterprise_admin") or not current_user.is_worker:
        raise Forbidden(_l("Only an enterprise admin can book a series."))


@bp.route("/", methods=["GET", "POST"])
@login_required
def new():
    _enterprise_admin()
    now = timeutil.utcnow()
    facilities = visible_facilities(current_user, timeutil.local_date(now, home_timezone()))
    form = SeriesForm()
    form.facility_id.choices = [SelectChoice(str(f.id), f"{f.venue.name} · {f.name}") for f in facilities]
    results, error, status, tz = None, None, 200, None
    if form.validate_on_submit():
        facility = next(f for f in facilities if str(f.id) == form.facility_id.data)
        tz = facility.venue.timezone
        local = datetime.combine(
            date.fromisoformat(form.first_day.data.strip()), time.fromisoformat(form.at.data.strip())
        )
        try:
            results = services.book_series(
                current_user,
                facility.id,
                timeutil.as_utc(local, tz),
                int(form.weeks.data),
                int(form.party_size.data),
                now=now,
            ).results
        except DomainError as err:
            error, status = err.message, err.status
    elif form.is_submitted():
        status = 400
    return render_template(
        "reservations/series.html", form=form, results=results, error=error, tz=tz, has_facilities=bool(facilities)
    ), status


def _own_ids(form: PauseForm, series_id: int) -> PauseForm:
    """One pause form per series on the page: each field gets an id of its own (same names)."""
    for fld in (form.first_day, form.last_day):
        fld.id = fld.label.field_id = f"s{series_id}-{fld.name}"
    return form


def _list_page(pause_forms: dict | None = None, error: str | None = None, status: int = 200):
    items = services.list_series(current_user)
    pause_forms = pause_forms or {}
    forms = {s.id: _own_ids(pause_forms.get(s.id) or PauseForm(formdata=None), s.id) for s in items}
    return render_template(
        "reservations/series_list.html",
        items=items,
        pause_forms=forms,
        action=ActionForm(),
        skipped=services.series_skipped,
        error=error,
        now=timeutil.utcnow(),
    ), status


@bp.get("/list")
@login_required
def index():
    _enterprise_admin()
    return _list_page()


def _said(change, done: str):
    """Flash what a pause or cancel did: how many bookings were cancelled, which stayed and why."""
    flash(
        done + " " + ngettext("%(num)s booking cancelled.", "%(num)s bookings cancelled.", len(change.cancelled)),
        "success",
    )
    tz = change.series.facility.venue.timezone
    for r, _code, message in change.kept:
        flash(
            _(
                "%(when)s stays booked: %(why)s",
                when=timeutil.to_local(r.start_at, tz).strftime("%Y-%m-%d %H:%M"),
                why=message,
            ),
            "error",
        )
    return redirect(url_for("series.index"), 303)


@bp.post("/<int:series_id>/pause")
@login_required
def pause(series_id: int):
    _enterprise_admin()
    form = PauseForm()
    if not form.validate_on_submit():
        return _list_page({series_id: form}, status=400)
    try:
        change = services.pause_series(current_user, series_id, form.first_day.data, form.last_day.data)
    except DomainError as err:
        if err.status == 404:
            raise
        return _list_page({series_id: form}, error=err.message, status=err.status)
    return _said(
        change,
        _(
            "The series is paused from %(first)s to %(last)s.",
            first=form.first_day.data.isoformat(),
            last=form.last_day.data.isoformat(),
        ),
    )


@bp.post("/<int:series_id>/cancel")
@login_required
def cancel(series_id: int):
    _enterprise_admin()
    if not ActionForm().validate_on_submit():
        return _list_page(error=_("The form expired. Please try again."), status=400)
    try:
        change = services.cancel_series(current_user, series_id)
    except DomainError as err:
        if err.status == 404:
            raise
        return _list_page(error=err.message, status=err.status)
    return _said(change, _("The series is cancelled."))
