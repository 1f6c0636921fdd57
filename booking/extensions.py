"""Every Flask extension, created unbound: nothing here imports the app."""

import logging
import sys
from functools import partial

from flask import request
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Objects stay usable after a use case commits (a request ends soon after): no reload queries.
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING), session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# Flask-Limiter reports on its "flask-limiter" logger, which has only a NullHandler: show its
# switch to in-memory counting when the limit storage (Redis) is unreachable, and its recovery,
# on stderr (gunicorn's error log). Once per process, never a failed request (config.DEFAULTS).
class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test runner may swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


_limiter_log = logging.getLogger("flask-limiter")
if not any(isinstance(h, _Stderr) for h in _limiter_log.handlers):
    _handler = _Stderr()
    _handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"))
    _limiter_log.addHandler(_handler)
    _limiter_log.setLevel(logging.INFO)


def check_limits_per_route_only(app) -> None:
    """Flask-Limiter checks, before every request, the default, application and blueprint limits
    (a route's own `@limiter.limit` is checked by its decorator when the view runs). This app
    sets limits per route only, so that check found nothing to count on every request, at about
    a tenth of an availability read's cost. It now runs only while such limits exist: set a
    default, application or blueprint limit and it is back for every request, as before."""
    funcs = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check not in funcs:
        return
    manager = limiter.limit_manager

    def check_middleware_limits():
        if (
            manager._application_limits
            or manager._default_limits
            or manager._blueprint_limits
            or manager._endpoint_hints
        ):
            check()

    funcs[funcs.index(check)] = check_middleware_limits
    # After every request it then looked for deductions to make and headers to add, which only
    # a request whose limits were checked can have: that request has a limiter context.
    # The same for its teardown, which made a context only to empty it.
    after = app.after_request_funcs.setdefault(None, [])
    for i, func in enumerate(after):
        if isinstance(func, partial) and func.func is getattr(Limiter, "_Limiter__inject_headers", None):
            after[i] = _only_when_limited(func)
    teardown = app.teardown_request_funcs.setdefault(None, [])
    release = getattr(limiter, "_Limiter__release_context", None)
    if release in teardown:
        teardown[teardown.index(release)] = _only_when_limited(release)


def _only_when_limited(hook):
    def only_when_limited(arg):
        if hasattr(request_ctx, "_limiter_request_context"):  # Limiter.context made it
            return hook(arg)
        return arg

    return only_when_limited


def check_csrf_on_unsafe_methods_only(app) -> None:
    """Flask-WTF's before-request check looks up the view's exemptions before it looks at the
    method, so every GET paid for a check that ends with "not a method to check". The check now
    starts only for the methods it checks (WTF_CSRF_METHODS); for those nothing changes."""
    funcs = app.before_request_funcs.setdefault(None, [])
    for i, func in enumerate(funcs):
        if func.__name__ == "csrf_protect" and func.__module__ == "flask_wtf.csrf":
            funcs[i] = _on_unsafe_methods(app, func)


def _on_unsafe_methods(app, check):
    methods = app.config["WTF_CSRF_METHODS"]

    def csrf_protect_unsafe_methods():
        if request.method in methods:
            check()

    return csrf_protect_unsafe_methods


def remember_cookie_only_for_used_sessions(app) -> None:
    """Flask-Login's after-request hook looks into the session on every request: that marks the
    session accessed, so Flask answered `Vary: Cookie` and went through its cookie settings even
    for an API call that never touched a cookie. The hook only acts on what login_user() and
    logout_user() put in the session during the request (or, with
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST, on every request): it now runs when the request used
    the session, or always with that setting."""
    manager = app.login_manager
    hook = manager._update_remember_cookie
    funcs = app.after_request_funcs.setdefault(None, [])
    for i, func in enumerate(funcs):
        if func == hook:
            funcs[i] = _when_session_used(app, hook)


def _when_session_used(app, hook):
    def update_remember_cookie(response):
        # The session as opened, read without marking it accessed (Flask 3.1.3's request_ctx.session
        # property marks it); a Flask without that attribute: the hook runs, as before.
        opened = getattr(request_ctx, "_session", None)
        if app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST") or opened is None or opened.accessed:
            return hook(response)
        return response

    return update_remember_cookie
