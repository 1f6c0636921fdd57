"""Sign-in, sign-out, registration, and the enterprise admin's join requests."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import Conflict, DomainError
from ..extensions import limiter
from ..navigation import landing_url
from . import services
from .forms import DecisionForm, LoginForm, RegisterForm

bp = Blueprint("accounts", __name__)


def _login_username_key() -> str:
    return "login:" + (request.form.get("identifier") or (request.get_json(silent=True) or {}).get(
        "username") or "").strip().lower()[:60] if request.method == "POST" else request.path


def login_limits():
    """Per username (tight) and per address (loose: a factory gateway hides many workers)."""
    return [
        limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
                      key_func=_login_username_key, methods=["POST"]),
        limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"]),
    ]


def _apply(view, decorators):
    for deco in decorators:
        view = deco(view)
    return view


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.identifier.data, form.password.data)
        except DomainError as err:
            form.form_errors.append(err.message)
            status = 401
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args["next"]) if request.args.get("next") else landing_url(user))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


bp.add_url_rule("/login", "login", _apply(login, login_limits()), methods=["GET", "POST"])


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def register():
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.register(form.username.data, form.display_name.data, form.password.data,
                              form.invite_code.data, form.phone.data or None)
        except DomainError as err:
            field = getattr(form, err.details.get("field", ""), None)
            (field.errors if field is not None else form.form_errors).append(err.message)
            status = 422
        else:
            flash(_("Thank you! Your enterprise's union contact will approve your account."), "success")
            return redirect(url_for("accounts.login"))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/register.html", form=form), status


@bp.get("/members/requests")
@login_required
def join_requests():
    pending = services.join_requests(current_user)
    return render_template("accounts/join_requests.html", pending=pending, form=DecisionForm())


@bp.post("/members/requests/<int:user_id>/<any(approve, reject):decision>")
@login_required
def decide(user_id: int, decision: str):
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("accounts.join_requests"))
    try:
        user = services.decide_join(current_user, user_id, decision == "approve")
    except Conflict as err:  # already decided: say so; not allowed / not found: 403 / 404 pages
        flash(err.message, "error")
    else:
        if user.status == "active":
            flash(_("%(name)s can now book.", name=user.display_name), "success")
        else:
            flash(_("The request of %(name)s was rejected.", name=user.display_name), "info")
    return redirect(url_for("accounts.join_requests"))
