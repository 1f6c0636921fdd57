"""Worker pages of the waitlist (候补): join from a full slot, my places in line, accept or
decline an offer (a countdown in static/js/countdown.js), leave the line. Thin: the rules are
in services.py."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, StringField

from .. import timeutil
from ..errors import DomainError, Invalid, NotFound
from ..extensions import db
from ..forms import BaseForm
from ..reservations import hooks as reservation_hooks
from ..reservations.forms import ActionForm, SlotForm, whole_number
from ..reservations.views import slot_page, slot_target
from . import services, serving

bp = Blueprint("waitlist", __name__, url_prefix="/waitlist")
STATUS_LABELS = {
    "waiting": _l("Waiting"),
    "offered": _l("Offered"),
    "booked": _l("Booked"),
    "expired": _l("Ended"),
    "skipped": _l("Passed over: you can no longer book that slot"),
    "cancelled": _l("You left the line"),
}


class JoinForm(SlotForm):
    auto_book = BooleanField(_l("Book it for me at once when a place frees"), default=True)


def _render_join(form: JoinForm, facility_text: str, start_text: str, error=None, status: int = 200):
    try:
        facility, start = slot_target(facility_text, start_text)
    except Invalid as err:
        return render_template("waitlist/join.html", form=None, facility=None, error=err.message), 422
    tz = facility.venue.timezone
    form.facility_id.data = str(facility.id)
    form.start.data = timeutil.isoformat_local(start, tz)
    counts = services.waiting_counts(facility.id, [start])
    return render_template(
        "waitlist/join.html",
        form=form,
        facility=facility,
        start=start,
        tz=tz,
        waiting=counts.get(start, 0),
        error=error,
    ), status


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join():
    form = JoinForm()
    _done, page = slot_page(
        form,
        _render_join,
        lambda facility, start: services.join(
            current_user, facility.id, start, form.party(), bool(form.auto_book.data)
        ),
    )
    if page is not None:
        return page
    flash(_("You are in line. We will tell you when a place frees."), "success")
    return redirect(url_for("waitlist.mine"))


@bp.get("/")
@login_required
def mine():
    entries = services.list_for(current_user)
    return render_template(
        "waitlist/mine.html", entries=entries, form=ActionForm(), position=services.position, now=timeutil.utcnow()
    )


@bp.post("/<int:entry_id>/accept")
@login_required
def accept(entry_id: int):
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("waitlist.mine"))
    try:
        r = services.accept(current_user, entry_id)
    except DomainError as err:
        if err.status == 404:
            raise
        flash(err.message, "error")
        return redirect(url_for("waitlist.mine"))
    flash(_("Booked! The place is yours."), "success")
    return redirect(url_for("reservations.show", reservation_id=r.id))


@bp.post("/<int:entry_id>/cancel")
@login_required
def cancel(entry_id: int):
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("waitlist.mine"))
    try:
        services.cancel(current_user, entry_id)
    except DomainError as err:
        if err.status == 404:
            raise
        flash(err.message, "error")
    else:
        flash(_("You left the line."), "success")
    return redirect(url_for("waitlist.mine"))


class OfferTimeForm(BaseForm):
    offer_minutes = StringField(
        _l("Minutes an offered place is held"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )


@bp.route("/settings/<int:host_id>", methods=["GET", "POST"])
@login_required
def settings(host_id: int):
    """Host admin: how long a freed place is held for a worker who chose to be asked first."""
    from ..organizations.models import Organization

    host = db.session.get(Organization, host_id)
    if host is None or not current_user.has_role("host_admin") or host_id not in current_user.org_ids("host_admin"):
        raise NotFound()
    form = OfferTimeForm()
    error, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template(
                "errors/error.html", status=400, message=_("The form expired. Please try again.")
            ), 400
        text = (form.offer_minutes.data or "").strip()
        try:
            services.set_offer_minutes(current_user, host_id, int(text) if whole_number(text, 5) else text)
        except DomainError as err:
            error, status = err.message, err.status
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("waitlist.settings", host_id=host_id))
    else:
        form.offer_minutes.data = str(serving.offer_minutes(host_id))
    return render_template("waitlist/settings.html", form=form, host=host, error=error), status


def register(app) -> None:
    """The blueprint, the template helpers (slot grid, staff schedule), the CLI command, and the
    line's part in a booking's life: a freed place or reopened slots serve the line in the
    freeing transaction (reservations/hooks.py; reservations does not import the waitlist)."""
    import click

    app.register_blueprint(bp)
    reservation_hooks.on_place_freed(serving.serve_slot)
    reservation_hooks.on_slots_reopened(serving.serve_facility)

    def waitlist_counts(facility_id: int, slots) -> dict:
        return services.waiting_counts(facility_id, [s["start"] for s in slots])

    def waitlist_lines(facility, day) -> list:
        start, end = timeutil.local_day_bounds(day, facility.venue.timezone)
        lines = services.lines_for_day(current_user, [facility.id], start, end)
        return sorted(((at, entries) for (_fid, at), entries in lines.items()), key=lambda x: x[0])

    app.jinja_env.globals.update(
        waitlist_counts=waitlist_counts,
        waitlist_lines=waitlist_lines,
        waitlist_status_label=lambda status: str(STATUS_LABELS.get(status, status)),
    )

    @app.cli.command("expire-offers")
    def expire_offers():
        """Offers that ran out pass to the next in line; lines of started slots end (cron: every minute)."""
        click.echo(f"waitlist: {services.expire_offers()} slot(s) served")
