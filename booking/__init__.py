"""Shared Venues (共享场馆): book time on courts, gyms and reading rooms shared between enterprises."""

import os
from inspect import iscoroutinefunction
from pathlib import Path

from flask import Flask

from . import config

ROOT = Path(__file__).resolve().parent.parent


class App(Flask):
    """Flask, remembering which of its handlers are coroutine functions: Flask asks `inspect`
    anew for every hook and view on every request (ensure_sync: 19 times for an API read)."""

    _COROUTINE_CACHE_MAX = 4096

    def ensure_sync(self, func):
        known = self.__dict__.setdefault("_coroutine", {})
        found = known.get(func)
        if found is None:
            if len(known) >= self._COROUTINE_CACHE_MAX:  # handlers made per request: stay bounded
                known.clear()
            found = known[func] = iscoroutinefunction(func)
        return self.async_to_sync(func) if found else func


def create_app(test_config: dict | None = None) -> Flask:
    from .inputs import IdConverter, JSONProvider

    app = App(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = IdConverter  # before any route: ids past the column are 404s
    app.json = JSONProvider(app)
    app.config.update(config.DEFAULTS)
    if test_config is None:
        app.config.update(config.from_environment(app.instance_path))
    else:
        app.config.update(test_config)
    if app.config.get("TRUSTED_PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # nginx passes Host as sent
    app.json.sort_keys = False  # the API's key order is its documented order; sorting costs time
    from . import security

    security.init_app(app)  # headers, cookie flags, the SQLite file's mode: before any connection
    from .cookies import CookieSessions

    app.session_interface = CookieSessions()  # no cookie, no signing set-up (API calls)
    register_extensions(app)
    register_blueprints(app)
    from .idempotency import register as register_idempotency

    register_idempotency(app)
    from .waitlist.views import register as register_waitlist

    register_waitlist(app)
    from .draw.views import register as register_draw

    register_draw(app)
    from . import navigation
    from .reservations.queries_phone import join_request_count, pending_count

    navigation.COUNTS.update({"staff.pending": pending_count, "accounts.join_requests": join_request_count})
    register_template_helpers(app)
    from .inputs import check_request_size

    app.before_request_funcs.setdefault(None, []).insert(0, check_request_size)
    from .errors import register_error_handlers

    register_error_handlers(app)
    from .cli import register_commands

    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the whole schema, for SQLAlchemy and Alembic)
    from .database import configure_engine
    from .extensions import (
        babel,
        check_csrf_on_unsafe_methods_only,
        check_limits_per_route_only,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
        remember_cookie_only_for_used_sessions,
    )
    from .i18n import select_locale

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    from .database import close_read_connection

    app.teardown_appcontext(close_read_connection)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_timezone=app.config["DEFAULT_TIMEZONE"])
    limiter.init_app(app)
    check_limits_per_route_only(app)
    check_csrf_on_unsafe_methods_only(app)
    login_manager.init_app(app)
    remember_cookie_only_for_used_sessions(app)
    from .accounts.services import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .admin.quota_views import bp as quotas_bp
    from .admin.views import bp as admin_bp
    from .api import bp as api_bp
    from .checkin.views import bp as checkin_bp
    from .delivery.views import bp as notifications_bp
    from .extensions import csrf
    from .feeds.views import bp as feeds_bp
    from .reports.views import bp as reports_bp
    from .reservations.facility_views import bp as facilities_bp
    from .reservations.series_views import bp as series_bp
    from .reservations.staff_views import bp as staff_bp
    from .reservations.views import bp as reservations_bp
    from .views import bp as main_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        facilities_bp,
        reservations_bp,
        series_bp,
        staff_bp,
        feeds_bp,
        quotas_bp,
        checkin_bp,
        admin_bp,
        reports_bp,
        notifications_bp,
    ):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens, never cookies: no CSRF surface
    app.register_blueprint(api_bp)


def register_template_helpers(app: Flask) -> None:
    from . import assets, filters, typed_input

    filters.register(app)
    assets.register(app)
    typed_input.register(app)
