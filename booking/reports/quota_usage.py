"""The enterprise admin's week: use per host against each agreement, and per worker.

A report over bookings and the quota counters, so it sits above both packages (quotas never
imports reservations).
"""

from datetime import date

from sqlalchemy import func, select

from ..accounts.models import User
from ..errors import Forbidden
from ..extensions import db
from ..organizations.models import Organization
from ..quotas.services import agreements_of, week_usage
from ..reservations.models import QUOTA_CONSUMING, Reservation


def enterprise_report(admin, week: date) -> list[dict]:
    """Enterprise admin: use per host this week, and per worker."""
    orgs = admin.org_ids("enterprise_admin")
    if not orgs:
        raise Forbidden()
    out = []
    for ent_id in sorted(orgs):
        agreements = agreements_of(ent_id, week)
        used = week_usage(ent_id, [a.host_id for a in agreements], week)
        per_worker = db.session.execute(
            select(
                User.display_name, Reservation.host_id, func.count(Reservation.id), func.sum(Reservation.quota_minutes)
            )
            .join(User, User.id == Reservation.user_id)
            .where(
                Reservation.enterprise_id == ent_id,
                Reservation.week_start == week,
                Reservation.status.in_(QUOTA_CONSUMING),
            )
            .group_by(User.display_name, Reservation.host_id)
            .order_by(User.display_name)
        ).all()
        out.append(
            {
                "enterprise_id": ent_id,
                "enterprise": db.session.get(Organization, ent_id),
                "hosts": [
                    {
                        "host": a.host,
                        "minutes_limit": a.minutes_per_week,
                        "minutes_used": used.get(a.host_id, 0),
                        "bookings_per_worker": a.bookings_per_worker,
                        "workers": [
                            {"name": n, "bookings": c, "minutes": m} for n, h, c, m in per_worker if h == a.host_id
                        ],
                    }
                    for a in sorted(agreements, key=lambda a: a.host_id)
                ],
            }
        )
    return out
