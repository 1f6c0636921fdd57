"""Calendar feeds: a person's own bookings, and host staff's per facility or venue."""

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import timeutil
from ..database import write_transaction
from ..errors import NotFound
from ..extensions import db
from ..facilities.models import Facility, Venue
from ..facilities.services import managed_host_ids
from ..inputs import id_or_none
from ..organizations.models import Organization
from ..reservations.models import Reservation
from .models import CalendarFeed

# A feed shows this window around now, so its cost stays flat as history grows.
PAST = timedelta(days=30)
FUTURE = timedelta(days=90)
MAX_EVENTS = 1000


def _secret(feed: CalendarFeed) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"feed:{feed.id}:{feed.version}".encode(), hashlib.sha256).hexdigest()[:32]


def feed_key(feed: CalendarFeed) -> str:
    """The path segment of a feed's link: id and secret."""
    return f"{feed.id}-{_secret(feed)}"


def get_or_create(user, kind: str = "personal", target_id: int = 0) -> CalendarFeed:
    if kind == "facility":
        f = db.session.get(Facility, target_id)
        if f is None or f.venue.host_id not in managed_host_ids(user):
            raise NotFound()
    elif kind == "venue":
        v = db.session.get(Venue, target_id)
        if v is None or v.host_id not in managed_host_ids(user):
            raise NotFound()
    feed = db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.kind == kind, CalendarFeed.target_id == target_id
        )
    )
    if feed is None:
        with write_transaction():
            feed = CalendarFeed(user_id=user.id, kind=kind, target_id=target_id, version=1)
            db.session.add(feed)
    return feed


def regenerate(user, feed_id: int) -> CalendarFeed:
    """A new secret: the old link stops working at once."""
    with write_transaction():
        feed = db.session.get(CalendarFeed, feed_id)
        if feed is None or feed.user_id != user.id:
            raise NotFound()
        feed.version += 1
    return feed


def resolve(key: str) -> CalendarFeed:
    """The feed a link names, if its secret is right (constant-time compare); else NotFound."""
    feed_id, _, secret = (key or "").partition("-")
    feed_id = id_or_none(feed_id)
    if feed_id is None or len(secret) != 32:
        raise NotFound()
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or not hmac.compare_digest(secret, _secret(feed)):
        raise NotFound()
    from ..accounts.models import User

    owner = db.session.get(User, feed.user_id)
    if owner is None or owner.status != "active":
        raise NotFound()
    return feed


def reservations_for(feed: CalendarFeed, now=None) -> list[Reservation]:
    """The bookings a feed shows; staff feeds are re-scoped to what the owner manages now."""
    now = now or timeutil.utcnow()
    stmt = (
        select(Reservation)
        .options(
            selectinload(Reservation.facility).selectinload(Facility.venue),
            selectinload(Reservation.user),
            selectinload(Reservation.enterprise),
        )
        .where(Reservation.start_at >= now - PAST, Reservation.start_at < now + FUTURE)
    )
    if feed.kind == "personal":
        stmt = stmt.where(Reservation.user_id == feed.user_id)
    else:
        from ..accounts.models import User

        hosts = managed_host_ids(db.session.get(User, feed.user_id))
        stmt = stmt.where(Reservation.host_id.in_(hosts) if hosts else False)
        if feed.kind == "facility":
            stmt = stmt.where(Reservation.facility_id == feed.target_id)
        else:
            stmt = stmt.where(
                Reservation.facility_id.in_(select(Facility.id).where(Facility.venue_id == feed.target_id))
            )
        stmt = stmt.where(Reservation.status.in_(("pending", "confirmed", "checked_in", "cancelled", "no_show")))
    return list(db.session.scalars(stmt.order_by(Reservation.start_at, Reservation.id).limit(MAX_EVENTS)))


def fingerprint(feed: CalendarFeed, rows: list[Reservation], locale: str) -> tuple[str, object]:
    """(ETag, Last-Modified) of a feed's content."""
    last = max((r.updated_at for r in rows), default=feed.created_at)
    basis = f"{feed.id}:{feed.version}:{locale}:{len(rows)}:{sum(r.id for r in rows)}:{last.isoformat()}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32], last


def who_label(r: Reservation, privacy: str) -> str | None:
    """What a staff feed says about who booked, as the host's privacy setting allows."""
    if privacy == "full":
        return f"{r.user.display_name} · {r.enterprise.name}"
    if privacy == "enterprise":
        return r.enterprise.name
    return None


def host_privacy(feed: CalendarFeed) -> str:
    if feed.kind == "facility":
        host_id = db.session.get(Facility, feed.target_id).venue.host_id
    else:
        host_id = db.session.get(Venue, feed.target_id).host_id
    return db.session.scalar(select(Organization.calendar_privacy).where(Organization.id == host_id))


def feed_name(feed: CalendarFeed) -> str:
    if feed.kind == "facility":
        f = db.session.get(Facility, feed.target_id)
        return f"{f.venue.name} · {f.name}"
    if feed.kind == "venue":
        return db.session.get(Venue, feed.target_id).name
    return "共享场馆"
