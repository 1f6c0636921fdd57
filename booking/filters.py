"""Jinja filters and globals: formatting lives here, not in templates."""
from flask import request
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user

from . import timeutil
from .navigation import nav_items


def local_time(instant, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timeutil.to_local(instant, tz).strftime(fmt) if instant else ""


ROLE_LABELS = {
    "district_admin": _l("District admin"),
    "host_admin": _l("Host admin"),
    "host_staff": _l("Host staff"),
    "enterprise_admin": _l("Enterprise admin"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def register(app) -> None:
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.filters["local_time"] = local_time

    @app.context_processor
    def _globals():
        locale = "zh_CN" if get_locale().language == "zh" else "en"
        return {
            "nav_items": nav_items(current_user),
            "current_locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else locale,
            "current_path": request.full_path.rstrip("?"),
        }
