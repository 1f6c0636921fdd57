"""Administration pages for host admins (/admin/...) and the audit log.

Views parse the form, call one service and render; the services decide who may do what
(Forbidden → 403 page, another host's object → 404). District pages are nested (district_views).
"""

from datetime import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit import services as audit
from ..checkin import services as checkin
from ..errors import DomainError, NotFound
from ..extensions import login_manager
from ..inputs import page_arg
from . import impact, people, scope, services
from .audit_display import Names, field_label
from .district_views import bp as district_bp
from .flow import revoke_role
from .forms import (
    ORG_KIND_LABELS,
    ActionForm,
    CheckinSettingsForm,
    FacilityForm,
    GrantForm,
    RetireForm,
    RevokeForm,
    StaffForm,
    VenueForm,
    put_error,
    put_errors,
    role_choices,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.register_blueprint(district_bp)

HIT_LABELS = {
    impact.OVER_CAPACITY: _l("its slot now holds more than the new capacity"),
    impact.OFF_GRID: _l("it no longer matches a slot"),
    impact.OUTSIDE_HOURS: _l("the facility is closed then"),
    impact.RETIRED: _l("the facility takes no more bookings"),
}


@bp.before_request
def signed_in_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.context_processor
def _helpers():
    return {
        "hit_label": lambda why: str(HIT_LABELS.get(why, why)),
        "org_kind_label": lambda kind: str(ORG_KIND_LABELS.get(kind, kind)),
        "tz_default": current_app.config["DEFAULT_TIMEZONE"],
    }


def report(outcome: services.Outcome, saved: str) -> None:
    """Flash what a change did, for the page the admin lands on next."""
    done = sum(1 for problem in outcome.cancelled.values() if problem is None)
    flash(saved, "success")
    if done:
        flash(_("Cancelled %(n)s booking(s); the workers have been told why.", n=done), "success")
    failed = len(outcome.cancelled) - done
    if failed:
        flash(_("%(n)s booking(s) could not be cancelled (already checked in or changed).", n=failed), "error")
    kept = len(outcome.hits)
    if kept:
        flash(_("%(n)s booking(s) made before the change stay as they were made.", n=kept), "info")


def not_applied_status(form, outcome: services.Outcome) -> int:
    """The page asks what to do with the hit bookings (200), or says they still stand in the way (409)."""
    if form.impact_choice() == "ask":
        return 200
    form.form_errors.append(
        _(
            "Not saved: %(n)s booking(s) still stand in the way; cancel them to go on.",
            n=len(outcome.blocking) or len(outcome.hits),
        )
    )
    return 409


def _all_checked(form, problems) -> int:
    """Check a submitted form all at once: its fields, then the service's checks of every field
    that parsed (`problems()`), so the admin sees every problem in one submit. 200 when the
    form may go to the service (or was not submitted), 400 for a field that did not parse or
    an expired form, 422 when only the service's checks failed."""
    if not form.is_submitted():
        return 200
    parsed = form.validate_on_submit()
    put_errors(form, [err for err in problems() if not _field_errors(form, err)])
    if not parsed:
        return 400
    return 422 if any(field.errors for field in form) or form.form_errors else 200


def _field_errors(form, err) -> list:
    """The errors already on the field a service's problem names (one message per field)."""
    return list(getattr(getattr(form, err.details.get("field", "") or "-", None), "errors", None) or [])


def _facility_checked(form) -> tuple[int, dict | None]:
    """_all_checked for the facility form, whose weekly hours are parsed on their own."""
    if not form.is_submitted():
        return 200, None
    parsed = form.validate_on_submit()
    week = form.parse_hours()
    put_errors(form, services.facility_problems(form.values_to_check(week)), FacilityForm.ALIASES)
    if not parsed:
        return 400, week
    return (422 if week is None or any(field.errors for field in form) else 200), week


# --- overview ---------------------------------------------------------------------------------


@bp.get("/")
def index():
    hosts = services.overview(current_user)
    return render_template("admin/index.html", hosts=hosts, district=scope.is_district(current_user))


# --- venues -----------------------------------------------------------------------------------


@bp.route("/hosts/<int:host_id>/venues/new", methods=["GET", "POST"])
def venue_new(host_id: int):
    scope.require_admin(current_user)
    host = scope.host_for(current_user, host_id)
    form = VenueForm()
    status = 200
    if (
        status := _all_checked(form, lambda: services.venue_problems(form.values_to_check()))
    ) == 200 and form.is_submitted():
        try:
            venue = services.create_venue(current_user, host_id, form.values())
        except DomainError as err:
            put_error(form, err)
            status = 422
        else:
            flash(_("Venue saved: %(name)s. Add its facilities next.", name=venue.name), "success")
            return redirect(
                url_for("admin.facility_new", venue_id=venue.id)
                if host_id in current_user.org_ids("host_admin")
                else url_for("admin.district.organization", org_id=host_id)
            )
    return render_template("admin/venue_form.html", form=form, host=host, venue=None, outcome=None), status


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
def venue_edit(venue_id: int):
    venue = scope.venue_for(current_user, venue_id)
    form = VenueForm(obj=venue) if request.method == "GET" else VenueForm()
    outcome = None
    if (
        status := _all_checked(form, lambda: services.venue_problems(form.values_to_check()))
    ) == 200 and form.is_submitted():
        try:
            outcome = services.change_venue(
                current_user, venue_id, form.values(), form.impact_choice(), form.notice.data
            )
        except DomainError as err:
            put_error(form, err)
            status = 422
        else:
            if outcome.applied:
                report(outcome, _("Venue saved: %(name)s.", name=outcome.target.name))
                return redirect(url_for("admin.index"))
            status = not_applied_status(form, outcome)
    return render_template("admin/venue_form.html", form=form, host=venue.host, venue=venue, outcome=outcome), status


# --- facilities -------------------------------------------------------------------------------


def _facility_form_data(facility) -> dict:
    return {
        name: getattr(facility, name)
        for name in (
            "name",
            "kind",
            "capacity",
            "slot_minutes",
            "requires_approval",
            "window_days",
            "min_notice_minutes",
            "cancel_cutoff_minutes",
            "checkin_before_minutes",
            "checkin_after_minutes",
            "description",
            "allocation",
            "draw_days_before",
        )
    } | {
        "draw_time": time(facility.draw_minute // 60, facility.draw_minute % 60),
        "window_opens": time(facility.window_opens_minute // 60, facility.window_opens_minute % 60),
    }


@bp.route("/venues/<int:venue_id>/facilities/new", methods=["GET", "POST"])
def facility_new(venue_id: int):
    venue = scope.venue_for(current_user, venue_id)
    form = FacilityForm()
    if request.method == "GET":
        form.window_opens.data = time(8, 0)
        form.draw_time.data = time(12, 0)
        form.fill_hours({d: [(8 * 60, 22 * 60)] for d in range(7)})
    status, week = _facility_checked(form)
    if status == 200 and form.is_submitted():
        try:
            facility = services.create_facility(current_user, venue_id, form.values(week))
        except DomainError as err:
            put_error(form, err, FacilityForm.ALIASES)
            status = 422
        else:
            flash(_("%(name)s is open for booking now.", name=facility.name), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/facility_form.html", form=form, venue=venue, facility=None, outcome=None), status


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
def facility_edit(facility_id: int):
    facility = scope.facility_for(current_user, facility_id)
    if request.method == "GET":
        form = FacilityForm(data=_facility_form_data(facility))
        form.fill_hours(services.week_of(facility))
    else:
        form = FacilityForm()
    outcome = None
    status, week = _facility_checked(form)
    if status == 200 and form.is_submitted():
        try:
            outcome = services.change_facility(
                current_user, facility_id, form.values(week), form.impact_choice(), form.notice.data
            )
        except DomainError as err:
            put_error(form, err, FacilityForm.ALIASES)
            status = 422
        else:
            if outcome.applied:
                report(outcome, _("Saved: %(name)s.", name=outcome.target.name))
                return redirect(url_for("admin.index"))
            status = not_applied_status(form, outcome)
    return render_template(
        "admin/facility_form.html", form=form, venue=facility.venue, facility=facility, outcome=outcome
    ), status


@bp.route("/facilities/<int:facility_id>/retire", methods=["GET", "POST"])
def facility_retire(facility_id: int):
    facility = scope.facility_for(current_user, facility_id)
    form = RetireForm()
    status, hits = 200, services.retire_preview(current_user, facility_id)
    if form.validate_on_submit():
        try:
            outcome = services.retire_facility(current_user, facility_id, form.impact_choice(), form.notice.data)
        except DomainError as err:
            put_error(form, err)
            status = 422
        else:
            if outcome.applied:
                report(outcome, _("Retired: %(name)s takes no more bookings.", name=facility.name))
                return redirect(url_for("admin.index"))
            hits = outcome.hits
            form.on_affected.errors = [*form.on_affected.errors, _("Choose what happens to the bookings.")]
            status = 409
    elif form.is_submitted():
        status = 400
    return render_template("admin/retire.html", form=form, facility=facility, hits=hits), status


@bp.post("/facilities/<int:facility_id>/reactivate")
def facility_reactivate(facility_id: int):
    facility = scope.facility_for(current_user, facility_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("admin.index"))
    outcome = services.reactivate_facility(current_user, facility_id)
    if outcome.applied:
        flash(_("%(name)s is open for booking again.", name=facility.name), "success")
    else:
        flash(
            _(
                "Not reopened: %(n)s booking(s) kept from before no longer fit its slots. Cancel them "
                "from the schedule first.",
                n=len(outcome.blocking),
            ),
            "error",
        )
    return redirect(url_for("admin.index"))


# --- the host's staff ---------------------------------------------------------------------------


def _staff_forms(host_id: int):
    roles = role_choices(people.HOST_ROLES)
    create, grant = StaffForm(prefix="new"), GrantForm(prefix="grant")
    create.role.choices = grant.role.choices = roles
    return create, grant


def _staff_page(host_id: int, create, grant, status: int = 200):
    host, holders = people.host_staff(current_user, host_id)
    return render_template(
        "admin/staff.html", host=host, holders=holders, create=create, grant=grant, revoke=RevokeForm()
    ), status


@bp.route("/hosts/<int:host_id>/staff", methods=["GET", "POST"])
def staff(host_id: int):
    people.host_staff(current_user, host_id)  # scope first: a form error must not reveal a host
    create, grant = _staff_forms(host_id)
    status = 200
    if request.method == "POST":
        status = _all_checked(
            create,
            lambda: people.account_problems(create.username.data, create.display_name.data, create.password.data),
        )
        if status == 200:
            try:
                user = people.create_staff(
                    current_user,
                    host_id,
                    create.username.data,
                    create.display_name.data,
                    create.password.data,
                    create.role.data,
                )
            except DomainError as err:
                put_error(create, err)
                status = 422
            else:
                flash(
                    _(
                        "Account created: %(username)s. Give them the initial password in person.",
                        username=user.username,
                    ),
                    "success",
                )
                return redirect(url_for("admin.staff", host_id=host_id))
    return _staff_page(host_id, create, grant, status)


@bp.post("/hosts/<int:host_id>/staff/grant")
def staff_grant(host_id: int):
    people.host_staff(current_user, host_id)
    create, grant = _staff_forms(host_id)
    status = 400
    if grant.validate_on_submit():
        try:
            user = people.grant_staff(current_user, host_id, grant.username.data, grant.role.data)
        except DomainError as err:
            put_error(grant, err)
            status = 422
        else:
            flash(_("%(name)s can now work here.", name=user.display_name), "success")
            return redirect(url_for("admin.staff", host_id=host_id))
    return _staff_page(host_id, create, grant, status)


@bp.post("/hosts/<int:host_id>/staff/<int:user_id>/revoke")
def staff_revoke(host_id: int, user_id: int):
    people.host_staff(current_user, host_id)
    return revoke_role(
        lambda role: people.revoke_staff(current_user, host_id, user_id, role), url_for("admin.staff", host_id=host_id)
    )


# --- check-in settings ---------------------------------------------------------------------------


@bp.route("/hosts/<int:host_id>/checkin", methods=["GET", "POST"])
def checkin_settings(host_id: int):
    """Host admin: how old a scan made offline at the door may be when the phone syncs it."""
    if host_id not in scope.admin_hosts(current_user):  # a host admin's own hosts only (403 for others)
        raise NotFound()
    host = scope.host_for(current_user, host_id)
    form = CheckinSettingsForm()
    status = 200
    if request.method == "GET":
        form.offline_max_minutes.data = int(checkin.offline_max_age(host_id).total_seconds()) // 60
    elif not form.validate_on_submit():
        status = 400
    else:
        try:
            checkin.set_offline_max_age(current_user, host_id, form.offline_max_minutes.data)
        except DomainError as err:
            put_error(form, err)
            status = 422
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/checkin_settings.html", form=form, host=host), status


# --- the audit log ------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log():
    page = request.args.get("page", 1, type=page_arg)
    entries, has_next = audit.entries_for(current_user, page)
    return render_template(
        "admin/audit.html",
        entries=entries,
        page=max(page, 1),
        has_next=has_next,
        changes=audit.changes,
        audit_names=Names,
        audit_field_label=field_label,
    )
