"""No-shows at a host: its policy (host admin), and the suspensions it hands out."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ..cache import cached
from ..database import fetch, write_transaction
from ..extensions import db
from .models import Suspension

_SUSPENSIONS = (
    select(Suspension.id, Suspension.starts_at, Suspension.ends_at)
    .where(Suspension.user_id == bindparam("user_id"), Suspension.host_id == bindparam("host_id"))
    .order_by(Suspension.ends_at.desc())
)


def active_suspension(user_id: int, host_id: int, now):
    """The worker's suspension at a host in force at `now` (a row with .ends_at), or None."""
    periods = cached(
        "suspensions", (user_id, host_id), lambda: tuple(fetch(_SUSPENSIONS, user_id=user_id, host_id=host_id))
    )
    return next((p for p in periods if p.starts_at <= now < p.ends_at), None)


def enterprise_suspensions(admin, now) -> list[dict]:
    """Enterprise admin: their workers suspended at any host right now, with the end."""
    from ..accounts.models import User
    from ..errors import Forbidden
    from ..organizations.models import Organization
    from .models import Suspension

    ents = admin.org_ids("enterprise_admin")
    if not ents:
        raise Forbidden()
    rows = db.session.execute(
        select(Suspension, User, Organization)
        .join(User, User.id == Suspension.user_id)
        .join(Organization, Organization.id == Suspension.host_id)
        .where(User.enterprise_id.in_(ents), Suspension.starts_at <= now, Suspension.ends_at > now)
        .order_by(Suspension.ends_at, User.display_name)
    ).all()
    return [{"user": u, "host": h, "ends_at": s.ends_at, "no_shows": s.no_shows} for s, u, h in rows]


# --- the host's policy ------------------------------------------------------------------

POLICY_BOUNDS = {"no_show_limit": (1, 20), "within_days": (1, 365), "suspend_days": (0, 365)}
POLICY_DEFAULTS = {"no_show_limit": 3, "within_days": 30, "suspend_days": 14}


def _policy_host(admin, host_id: int) -> None:
    from ..errors import Forbidden, NotFound

    hosts = admin.org_ids("host_admin")
    if not hosts:
        raise Forbidden()
    if host_id not in hosts:
        raise NotFound()


def no_show_policy(admin, host_id: int) -> dict:
    """The host's numbers, and whether it has a policy at all (none: no suspensions)."""
    from .models import NoShowPolicy

    _policy_host(admin, host_id)
    policy = db.session.get(NoShowPolicy, host_id)
    if policy is None:
        return {**POLICY_DEFAULTS, "exists": False}
    return {
        "no_show_limit": policy.no_show_limit,
        "within_days": policy.within_days,
        "suspend_days": policy.suspend_days,
        "exists": True,
    }


def set_no_show_policy(admin, host_id: int, no_show_limit, within_days, suspend_days):
    """`no_show_limit` no-shows within `within_days` days suspend for `suspend_days` (0: never)."""
    from ..errors import Invalid
    from .models import NoShowPolicy

    _policy_host(admin, host_id)
    values = {"no_show_limit": no_show_limit, "within_days": within_days, "suspend_days": suspend_days}
    messages = {
        "no_show_limit": _l("The number of no-shows must be a whole number from 1 to 20."),
        "within_days": _l("The period must be a whole number of days from 1 to 365."),
        "suspend_days": _l("The suspension must be a whole number of days from 0 to 365."),
    }
    for name, value in values.items():
        low, high = POLICY_BOUNDS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(messages[name], code="invalid_policy", field=name)
    with write_transaction():
        policy = db.session.get(NoShowPolicy, host_id)
        if policy is None:
            policy = NoShowPolicy(host_id=host_id)
            db.session.add(policy)
        for name, value in values.items():
            setattr(policy, name, value)
    return policy
