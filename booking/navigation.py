"""What the navigation offers each person: asked by the templates, decided here."""

from collections.abc import Callable

from flask import current_app, g, url_for
from flask_babel import lazy_gettext as _l

# The work waiting behind a navigation entry, counted by the package that owns it: registered
# at app init (booking/__init__.py), so this module, which every page's filters import, imports
# no feature package. endpoint -> count(user).
COUNTS: dict[str, Callable[..., int]] = {}


def landing_url(user) -> str:
    """Where a person lands after signing in: where their work is, not the "Me" page.

    Workers book; host staff decide pending bookings (or see today's schedule when none wait);
    the district reads its report; enterprise admins approve members; host admins run venues.
    """
    if user.is_worker:
        return url_for("facilities.index")
    if user.has_role("host_staff"):
        return url_for("staff.pending" if COUNTS["staff.pending"](user) else "staff.today")
    if user.has_role("district_admin"):
        return url_for("reports.district")
    if user.has_role("enterprise_admin"):
        return url_for(
            "accounts.join_requests" if COUNTS["accounts.join_requests"](user) else "quotas.enterprise_usage"
        )
    if user.has_role("host_admin"):
        return url_for("admin.index")
    return url_for("main.home")


def _counts(user) -> dict[str, int]:
    """The badges on 审批 and 成员: one COUNT each, asked once per request."""
    if "nav_counts" not in g:
        g.nav_counts = {
            "staff.pending": COUNTS["staff.pending"](user) if user.has_role("host_staff") else 0,
            "accounts.join_requests": COUNTS["accounts.join_requests"](user)
            if user.has_role("enterprise_admin")
            else 0,
        }
    return g.nav_counts


def nav_items(user) -> list[dict]:
    """The bottom navigation (at most 5 entries), by role, with counts where work waits."""
    items = _nav_items(user)
    counts = _counts(user) if items else {}
    for item in items:
        item["count"] = counts.get(item["endpoint"], 0)
    return items


def _nav_items(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    if user.is_worker:
        items += [
            {"endpoint": "facilities.index", "label": _l("Book"), "icon": "court"},
            {"endpoint": "reservations.mine", "label": _l("My bookings"), "icon": "ticket"},
        ]
    if user.has_role("host_staff"):
        items += [
            {"endpoint": "staff.pending", "label": _l("Approvals"), "icon": "check"},
            {"endpoint": "staff.today", "label": _l("Today"), "icon": "calendar"},
            {"endpoint": "checkin.scan_page", "label": _l("Scan"), "icon": "scan"},
        ]
    if user.has_role("district_admin"):
        items += [
            {"endpoint": "reports.district", "label": _l("Report"), "icon": "chart"},
            {"endpoint": "admin.district.organizations", "label": _l("Organizations"), "icon": "users"},
        ]
    if user.has_role("enterprise_admin") and len(items) < 4:
        items.append({"endpoint": "accounts.join_requests", "label": _l("Members"), "icon": "users"})
    items.append({"endpoint": "main.home", "label": _l("Me"), "icon": "home"})
    return items[:5]


# The "Me" page lists these links, each for whoever `who` admits. Features add their lines here.
# who: "worker", "staff" (host staff or admin), "host_admin", "enterprise_admin", "district_admin", "any"
HOME_LINKS = [
    {"endpoint": "reservations.notifications", "label": _l("Notifications"), "who": "worker"},
    {"endpoint": "feeds.index", "label": _l("Calendar subscription"), "who": "any"},
    {"endpoint": "accounts.join_requests", "label": _l("Join requests"), "who": "enterprise_admin"},
    {"endpoint": "series.new", "label": _l("Team bookings every week"), "who": "enterprise_admin"},
    {"endpoint": "staff.pending", "label": _l("Approvals"), "who": "staff"},
    {"endpoint": "staff.today", "label": _l("Today's schedule"), "who": "staff"},
    # --- quotas and agreements (issue 4) ---
    {"endpoint": "quotas.me", "label": _l("My quota"), "who": "worker"},
    {"endpoint": "quotas.enterprise_usage", "label": _l("Quota use"), "who": "enterprise_admin"},
    {"endpoint": "quotas.agreement_list", "label": _l("Sharing agreements"), "who": "host_admin"},
    {"endpoint": "quotas.host_usage", "label": _l("Use per enterprise"), "who": "host_admin"},
    # --- check-in (issue 5) ---
    {"endpoint": "checkin.scan_page", "label": _l("Scan codes at the door"), "who": "staff"},
    # --- administration and reports (issue 7) ---
    {"endpoint": "reports.host", "label": _l("Usage reports"), "who": "host_admin"},
    {"endpoint": "reports.district", "label": _l("District report"), "who": "district_admin"},
    {"endpoint": "admin.index", "label": _l("Venues and facilities"), "who": "host_admin"},
    {"endpoint": "admin.district.organizations", "label": _l("Organizations"), "who": "district_admin"},
    {"endpoint": "admin.audit_log", "label": _l("Audit log"), "who": "host_admin"},
    # --- security (issue 10) ---
    {"endpoint": "accounts.account", "label": _l("Password and sign-in"), "who": "any"},
    # --- notifications (issue 14) ---
    {"endpoint": "notifications.settings", "label": _l("Notification settings"), "who": "any"},
    {"endpoint": "notifications.dead_letters", "label": _l("Undelivered messages"), "who": "staff"},
    {"endpoint": "notifications.dead_letters", "label": _l("Undelivered messages"), "who": "district_admin"},
]


def _admits(user, who: str) -> bool:
    return {
        "any": True,
        "worker": user.is_worker,
        "staff": user.has_role("host_staff"),
        "host_admin": user.has_role("host_admin"),
        "enterprise_admin": user.has_role("enterprise_admin"),
        "district_admin": user.has_role("district_admin"),
    }[who]


def home_links(user) -> list[dict]:
    views = current_app.view_functions
    return [link for link in HOME_LINKS if link["endpoint"] in views and _admits(user, link["who"])]
