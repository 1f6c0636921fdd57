"""What the bottom navigation offers each person: asked by the template, decided here."""
from flask_babel import lazy_gettext as _l


def nav_items(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = [{"endpoint": "main.home", "label": _l("Home"), "icon": "home"}]
    if user.has_role("enterprise_admin"):
        items.append({"endpoint": "accounts.join_requests", "label": _l("Members"), "icon": "users"})
    return items
