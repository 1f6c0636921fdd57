"""Quota pages: host admins' agreements, usage and no-show policy; the enterprise admin's usage;
the worker's own quota (blueprint `quotas`). Scoping and rules are the services'; these views
parse and render. They call the agreement use cases (admin/agreements.py, above facilities and
quotas) and the enterprise's week report (reports/quota_usage.py), so they live in admin.
"""

import re
from datetime import date, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import timeutil
from ..errors import DomainError, NotFound
from ..extensions import login_manager
from ..forms import put_error
from ..quotas import services
from ..quotas.forms import AgreementForm, EndForm, LimitsForm, PolicyForm, id_or_none
from ..reports import quota_usage
from . import agreements

bp = Blueprint("quotas", __name__, url_prefix="/quotas")

STATE_LABELS = {"in_force": _l("In force"), "ended": _l("Ended"), "future": _l("Not yet in force")}
WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE | re.ASCII)
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Which form field a service error belongs to, when the service names none.
ERROR_FIELDS = {
    "invalid_party": "enterprise_id",
    "invalid_facilities": "facility_ids",
    "invalid_hours": "hours",
    "invalid_bookings": "bookings_per_worker",
    "invalid_dates": "valid_until",
}


@bp.before_request
def signed_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def hours_label(minutes) -> str:
    """Minutes as hours for people: 480 -> '8', 90 -> '1.5'."""
    if minutes is None:
        return ""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def percent(used, limit) -> int:
    if not limit:
        return 100 if used else 0
    return max(0, min(100, round(100 * used / limit)))


@bp.app_context_processor
def _helpers():
    return {"hours_label": hours_label, "quota_percent": percent}


@bp.context_processor
def _page_helpers():
    return {"state_label": lambda s: str(STATE_LABELS.get(s, s))}


def _today() -> date:
    return timeutil.local_date(timeutil.utcnow(), current_app.config["DEFAULT_TIMEZONE"])


def _week_arg(today: date, notes: list) -> date:
    """Monday of ?week=YYYY-Www, or of this week; a bad value gets a note, never an error page."""
    this_week = timeutil.week_start(today)
    text = request.args.get("week", "").strip()
    if not text:
        return this_week
    match = WEEK_RE.match(text) if len(text) <= 10 else None
    if match and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        try:
            return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            pass
    notes.append(
        _(
            "The week was not understood (use e.g. %(example)s); showing this week.",
            example=timeutil.iso_week_label(today),
        )
    )
    return this_week


def _week_nav(week: date, today: date) -> dict:
    return {
        "start": week,
        "end": week + timedelta(days=6),
        "label": timeutil.iso_week_label(week),
        "is_current": week == timeutil.week_start(today),
        "prev": timeutil.iso_week_label(week - timedelta(days=7)),
        "next": timeutil.iso_week_label(week + timedelta(days=7)),
    }


def _field_error(form, err: DomainError) -> None:
    put_error(form, err, by_code=ERROR_FIELDS)


# --- host admin: agreements ---------------------------------------------------------------


@bp.get("/agreements")
def agreement_list():
    items = agreements.host_agreements(current_user)
    hosts = agreements.admin_hosts(current_user)
    today = _today()
    policies = {h.id: services.no_show_policy(current_user, h.id) for h in hosts}
    return render_template(
        "quotas/agreements.html", items=items, hosts=hosts, policies=policies, today=today, state=agreements.state
    )


def _agreement_form_choices(form: AgreementForm):
    hosts = agreements.admin_hosts(current_user)
    enterprises, unions = agreements.parties()
    facilities = agreements.host_facilities(current_user)
    none = SelectChoice("", _("— none —"))
    form.host_id.choices = [SelectChoice(str(h.id), h.name) for h in hosts]
    form.enterprise_id.choices = [none] + [SelectChoice(str(o.id), o.name) for o in enterprises]
    form.group_id.choices = [none] + [SelectChoice(str(o.id), o.name) for o in unions]
    form.facility_ids.choices = [SelectChoice(str(f.id), f.name) for f in facilities]
    return hosts, facilities


@bp.route("/agreements/new", methods=["GET", "POST"])
def agreement_new():
    form = AgreementForm()
    hosts, facilities = _agreement_form_choices(form)
    if request.method == "GET":
        form.valid_from.data = _today()
        form.host_id.data = str(hosts[0].id) if hosts else ""
    status = 200
    if form.validate_on_submit():
        try:
            a = agreements.create(
                current_user,
                id_or_none(form.host_id.data) or -1,
                form.valid_from.data,
                enterprise_id=id_or_none(form.enterprise_id.data),
                group_id=id_or_none(form.group_id.data),
                facility_ids=form.facility_id_list(),
                valid_until=form.valid_until.data,
                **form.limits(),
            )
        except NotFound:
            raise
        except DomainError as err:
            _field_error(form, err)
            status = 422
        else:
            flash(_("Agreement saved: %(party)s.", party=(a.enterprise or a.group).name), "success")
            return redirect(url_for("quotas.agreement_show", agreement_id=a.id))
    elif form.is_submitted():
        status = 400 if form.csrf_token.errors else 422
    return render_template("quotas/agreement_new.html", form=form, hosts=hosts, facilities=facilities), status


def _render_agreement(a, limits: LimitsForm, end: EndForm, status: int = 200):
    return render_template(
        "quotas/agreement.html", a=a, limits=limits, end=end, today=_today(), state=agreements.state(a, _today())
    ), status


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
def agreement_show(agreement_id: int):
    a = agreements.get_for_host_admin(current_user, agreement_id)
    limits = LimitsForm()
    end = EndForm(formdata=None)
    end.valid_until.data = a.valid_until if a.valid_until and a.valid_until < _today() else _today()
    if request.method == "GET":
        limits.hours.data = hours_label(a.minutes_per_week)
        limits.bookings_per_worker.data = "" if a.bookings_per_worker is None else str(a.bookings_per_worker)
        return _render_agreement(a, limits, end)
    if not limits.validate_on_submit():
        return _render_agreement(a, limits, end, 400 if limits.csrf_token.errors else 422)
    try:
        agreements.change(current_user, agreement_id, **limits.limits())
    except NotFound:
        raise
    except DomainError as err:
        _field_error(limits, err)
        return _render_agreement(agreements.get_for_host_admin(current_user, agreement_id), limits, end, 422)
    flash(_("New limits saved. They apply from now on; what is booked stays booked."), "success")
    return redirect(url_for("quotas.agreement_show", agreement_id=agreement_id))


@bp.post("/agreements/<int:agreement_id>/end")
def agreement_end(agreement_id: int):
    a = agreements.get_for_host_admin(current_user, agreement_id)
    end = EndForm()
    limits = LimitsForm(formdata=None)
    limits.hours.data = hours_label(a.minutes_per_week)
    limits.bookings_per_worker.data = "" if a.bookings_per_worker is None else str(a.bookings_per_worker)
    if not end.validate_on_submit():
        return _render_agreement(a, limits, end, 400 if end.csrf_token.errors else 422)
    try:
        agreements.change(current_user, agreement_id, valid_until=end.valid_until.data)
    except NotFound:
        raise
    except DomainError as err:
        end.valid_until.errors.append(err.message)
        return _render_agreement(agreements.get_for_host_admin(current_user, agreement_id), limits, end, 422)
    flash(
        _("The agreement ends on %(day)s: no bookings after that day.", day=end.valid_until.data.isoformat()), "success"
    )
    return redirect(url_for("quotas.agreement_show", agreement_id=agreement_id))


@bp.route("/hosts/<int:host_id>/no-show-policy", methods=["GET", "POST"])
def no_show_policy(host_id: int):
    current = services.no_show_policy(current_user, host_id)
    host = next(h for h in agreements.admin_hosts(current_user) if h.id == host_id)
    form = PolicyForm()
    status = 200
    if request.method == "GET":
        for name in ("no_show_limit", "within_days", "suspend_days"):
            getattr(form, name).data = str(current[name])
    elif form.validate_on_submit():
        try:
            services.set_no_show_policy(current_user, host_id, **form.values())
        except NotFound:
            raise
        except DomainError as err:
            _field_error(form, err)
            status = 422
        else:
            flash(_("No-show policy saved."), "success")
            return redirect(url_for("quotas.agreement_list"))
    else:
        status = 400 if form.csrf_token.errors else 422
    return render_template("quotas/no_show_policy.html", form=form, host=host, current=current), status


# --- usage reports ---------------------------------------------------------------------------


@bp.get("/host")
def host_usage():
    notes: list[str] = []
    today = _today()
    week = _week_arg(today, notes)
    rows = services.host_report(current_user, week)
    hosts = agreements.admin_hosts(current_user)
    return render_template(
        "quotas/host.html", rows=rows, hosts={h.id: h for h in hosts}, notes=notes, nav=_week_nav(week, today)
    )


@bp.get("/enterprise")
def enterprise_usage():
    notes: list[str] = []
    today = _today()
    week = _week_arg(today, notes)
    report = quota_usage.enterprise_report(current_user, week)
    return render_template(
        "quotas/enterprise.html",
        report=report,
        notes=notes,
        nav=_week_nav(week, today),
        agreements=agreements.for_enterprise_admin(current_user),
        suspensions=services.enterprise_suspensions(current_user, timeutil.utcnow()),
        today=today,
        state=agreements.state,
        tz=current_app.config["DEFAULT_TIMEZONE"],
    )


@bp.get("/me")
def me():
    notes: list[str] = []
    today = _today()
    week = _week_arg(today, notes)
    day = today if week == timeutil.week_start(today) else week
    quota = services.my_quota(current_user, day, timeutil.utcnow())
    return render_template(
        "quotas/me.html",
        quota=quota,
        notes=notes,
        nav=_week_nav(week, today),
        tz=current_app.config["DEFAULT_TIMEZONE"],
    )
