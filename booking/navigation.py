"""What the bottom navigation offers each person: asked by the template, decided here."""
from flask_babel import lazy_gettext as _l


def nav_items(user) -> list[dict]:
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
        ]
    if user.has_role("enterprise_admin"):
        items.append({"endpoint": "accounts.join_requests", "label": _l("Members"), "icon": "users"})
    items.append({"endpoint": "main.home", "label": _l("Me"), "icon": "home"})
    return items[:5]
