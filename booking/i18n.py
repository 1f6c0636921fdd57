"""Which language a request gets: zh_CN unless the person (or API client) asks for English;
and the home time zone, for a "today" that belongs to no venue."""

from flask import current_app, has_request_context, request, session
from flask_login import current_user

from .timeutil import DEFAULT_TIMEZONE


def home_timezone() -> str:
    """The app's DEFAULT_TIMEZONE setting: "today" where no venue says otherwise."""
    return current_app.config.get("DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE


def select_locale() -> str:
    if not has_request_context():  # CLI jobs, services called from tests
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        # The API follows Accept-Language; anything but English gets Chinese.
        return "en" if request.accept_languages.best_match(["zh", "en"]) == "en" else "zh_CN"
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
