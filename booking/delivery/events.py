"""Notifications nobody's action starts: reminders before a booking, the staff's digest of
pending approvals, ended suspensions, offers about to run out. They run on the job runner,
once a minute."""

from datetime import timedelta

from sqlalchemy import func, select

from .. import timeutil
from ..accounts.models import RoleGrant, User
from ..database import write_transaction
from ..extensions import db
from ..facilities.models import Facility, Venue
from ..notifications import rules
from ..notifications.models import OutboxMessage
from ..notifications.services import notify, settings_of
from ..organizations.models import Organization
from ..quotas.models import Suspension
from ..reservations.models import Reservation
from ..waitlist.models import WaitlistEntry

LONGEST_LEAD = timedelta(minutes=1440)


def queue_reminders(now=None) -> int:
    """A reminder for each confirmed booking whose owner's lead time has come (once each)."""
    now = now or timeutil.utcnow()
    done = 0
    with write_transaction():
        rows = db.session.execute(
            select(Reservation.id, Reservation.user_id, Reservation.start_at).where(
                Reservation.status == "confirmed",
                Reservation.start_at > now,
                Reservation.start_at <= now + LONGEST_LEAD,
            )
        ).all()
        reminded = set(
            db.session.scalars(
                select(OutboxMessage.reservation_id).where(
                    OutboxMessage.event == "reminder", OutboxMessage.reservation_id.in_([r.id for r in rows])
                )
            )
        )
        for rid, user_id, start_at in rows:
            if rid in reminded or not rules.reminder_due(start_at, now, settings_of(user_id).reminder_minutes):
                continue
            notify(user_id, "reminder", {}, reservation_id=rid, now=now, dedupe_key=f"reminder:{rid}")
            done += 1
    return done


def queue_pending_digests(now=None) -> int:
    """Host staff with bookings waiting for approval hear of it, at most every 30 minutes."""
    now = now or timeutil.utcnow()
    done = 0
    with write_transaction():
        waiting = dict(
            db.session.execute(
                select(Venue.host_id, func.count(Reservation.id))
                .join(Facility, Facility.id == Reservation.facility_id)
                .join(Venue, Venue.id == Facility.venue_id)
                .where(Reservation.status == "pending", Reservation.start_at > now)
                .group_by(Venue.host_id)
            ).all()
        )
        if not waiting:
            return 0
        staff = db.session.execute(
            select(RoleGrant.user_id, RoleGrant.organization_id)
            .join(User, User.id == RoleGrant.user_id)
            .where(
                RoleGrant.role.in_(("host_staff", "host_admin")),
                RoleGrant.organization_id.in_(waiting),
                User.status == "active",
            )
        ).all()
        per_person: dict[int, int] = {}
        for user_id, host_id in staff:
            per_person[user_id] = per_person.get(user_id, 0) + waiting[host_id]
        recent = set(
            db.session.scalars(
                select(OutboxMessage.user_id).where(
                    OutboxMessage.event == "pending_digest", OutboxMessage.created_at > now - rules.DIGEST_EVERY
                )
            )
        )
        for user_id, n in per_person.items():
            if user_id in recent:
                continue
            stamp = now.strftime("%Y%m%dT%H%M")
            if notify(user_id, "pending_digest", {"n": n}, now=now, dedupe_key=f"digest:{user_id}:{stamp}"):
                done += 1
    return done


def queue_suspension_ends(now=None) -> int:
    """A worker whose suspension ended (within the last day) hears they can book again, once."""
    now = now or timeutil.utcnow()
    done = 0
    with write_transaction():
        ended = db.session.execute(
            select(Suspension.id, Suspension.user_id, Organization.name)
            .join(Organization, Organization.id == Suspension.host_id)
            .where(Suspension.ends_at <= now, Suspension.ends_at > now - timedelta(days=1))
        ).all()
        keys = {f"suspension_end:{sid}": (sid, user_id, host) for sid, user_id, host in ended}
        told = set(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
        for key, (_, user_id, host) in keys.items():
            if key not in told and notify(user_id, "suspension_ended", {"host": host}, now=now, dedupe_key=key):
                done += 1
    return done


def queue_offer_reminders(now=None) -> int:
    """A worker whose offered place is about to pass to the next in line hears it once, shortly
    before (rules.offer_reminder_due), on their channels, quiet hours or not."""
    now = now or timeutil.utcnow()
    done = 0
    with write_transaction():
        offers = db.session.execute(
            select(
                WaitlistEntry.id, WaitlistEntry.user_id, WaitlistEntry.updated_at, WaitlistEntry.offer_expires_at
            ).where(
                WaitlistEntry.status == "offered",
                WaitlistEntry.offer_expires_at > now,
                WaitlistEntry.offer_expires_at <= now + rules.OFFER_REMINDER,
            )
        ).all()
        keys = {
            f"offer_expiring:{entry_id}": (entry_id, user_id)
            for entry_id, user_id, offered_at, expires in offers
            if rules.offer_reminder_due(offered_at, expires, now)
        }
        told = set(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
        for key, (entry_id, user_id) in keys.items():
            if key not in told and notify(
                user_id, "waitlist_expiring", {}, now=now, dedupe_key=key, waitlist_entry_id=entry_id
            ):
                done += 1
    return done
