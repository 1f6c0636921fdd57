"""Calendar downloads and subscription feeds, and the page that gives their links."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..facilities.models import Facility, Venue
from ..facilities.services import managed_host_ids
from ..reservations.services import get_for
from . import ics, services

bp = Blueprint("feeds", __name__)

ICS = "text/calendar; charset=utf-8"


def booking_ics(reservation) -> Response:
    link = (
        url_for("reservations.show", reservation_id=reservation.id, _external=True)
        if "reservations.show" in _endpoints()
        else None
    )
    body = ics.document(reservation.facility.name, [ics.event(reservation, link)])
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = ICS
    response.headers["Content-Disposition"] = f'attachment; filename="booking-{reservation.id}.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _endpoints():
    from flask import current_app

    return current_app.view_functions


@bp.get("/bookings/<int:reservation_id>/calendar.ics")
@login_required
def booking_calendar(reservation_id: int):
    return booking_ics(get_for(current_user, reservation_id))


@bp.get("/feeds/<key>.ics")
def feed(key: str):
    feed_ = services.resolve(key)
    rows = services.reservations_for(feed_)
    etag, last_modified = services.fingerprint(feed_, rows, str(get_locale()))
    if request.if_none_match.contains(etag) or (
        not request.if_none_match
        and request.if_modified_since
        and request.if_modified_since >= last_modified.replace(microsecond=0)
    ):
        response = Response(status=304)
    else:
        privacy = services.host_privacy(feed_) if feed_.kind != "personal" else None
        events = [ics.event(r, who=services.who_label(r, privacy) if privacy else None) for r in rows]
        response = Response(ics.document(services.feed_name(feed_), events))
        response.headers["Content-Type"] = ICS
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/calendar")
@login_required
def index():
    feeds = [services.get_or_create(current_user)] if current_user.is_worker else []
    hosts = managed_host_ids(current_user)
    staff_feeds = []
    if hosts:
        for venue in db.session.scalars(select(Venue).where(Venue.host_id.in_(hosts)).order_by(Venue.id)):
            staff_feeds.append((venue.name, services.get_or_create(current_user, "venue", venue.id)))
            for facility in db.session.scalars(
                select(Facility).where(Facility.venue_id == venue.id).order_by(Facility.id)
            ):
                staff_feeds.append(
                    (f"{venue.name} · {facility.name}", services.get_or_create(current_user, "facility", facility.id))
                )
    return render_template("feeds/index.html", feeds=feeds, staff_feeds=staff_feeds, links=_links)


def _links(feed_) -> dict:
    https = url_for("feeds.feed", key=services.feed_key(feed_), _external=True)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.post("/calendar/<int:feed_id>/regenerate")
@login_required
def regenerate(feed_id: int):
    from ..accounts.forms import DecisionForm

    if not DecisionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        services.regenerate(current_user, feed_id)
        flash(_("New link made. The old link no longer works."), "success")
    return redirect(url_for("feeds.index"))
