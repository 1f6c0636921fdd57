"""Sign-in, sign-out, registration, and the enterprise admin's join requests."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import Conflict, DomainError
from ..extensions import limiter
from ..inputs import has_control
from ..navigation import landing_url
from . import passwords, services, sessions
from .forms import ChangePasswordForm, DecisionForm, EmptyForm, LoginForm, RegisterForm

bp = Blueprint("accounts", __name__)


def login_limits():
    """Per address, loose (a factory gateway hides many workers). The tight limit is per account,
    counted in the database by services.authenticate (accounts/limits.py)."""
    return [limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])]


def _apply(view, decorators):
    for deco in decorators:
        view = deco(view)
    return view


def _safe_next(target: str | None) -> str:
    # A path on this site only: no other host, no backslash or control characters (a header
    # cannot carry those; a browser may read "/\\host" as another host).
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not has_control(target)
        and not urlsplit(target).netloc
    ):
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
            status = 429 if err.status == 429 else 401
        else:
            sessions.start(user, remember=form.remember.data)
            login_user(user, remember=form.remember.data, duration=current_app.config["REMEMBER_COOKIE_DURATION"])
            return redirect(_safe_next(request.args["next"]) if request.args.get("next") else landing_url(user))
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


bp.add_url_rule("/login", "login", _apply(login, login_limits()), methods=["GET", "POST"])


@bp.post("/logout")
@login_required
def logout():
    sessions.end(current_user.session_token)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def register():
    form = RegisterForm()
    status = 200
    if form.is_submitted():
        # Every problem in one submit: the form's own checks, then the service's for each field
        # that was filled in (one coded error per call would show them one submit at a time).
        parsed = form.validate_on_submit()
        typed = {f.name: f.data if not f.errors and isinstance(f.data, str) else "" for f in form}
        for err in services.registration_problems(
            typed["username"], typed["display_name"], typed["password"], typed["invite_code"], typed["phone"]
        ):
            field = getattr(form, err.details.get("field", ""), None)
            if field is not None and not field.errors and typed.get(field.name, "").strip():
                field.errors = [*field.errors, err.message]
        status = 400 if not parsed else 422 if any(field.errors for field in form) else 200
    if status == 200 and form.is_submitted():
        try:
            services.register(
                form.username.data,
                form.display_name.data,
                form.password.data,
                form.invite_code.data,
                form.phone.data or None,
            )
        except DomainError as err:
            field = getattr(form, err.details.get("field", ""), None)
            (field.errors if field is not None else form.form_errors).append(err.message)
            status = 422
        else:
            flash(_("Thank you! Your enterprise's union contact will approve your account."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form, password_rule=passwords.rule_text()), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """One's own account: change the password, sign out on every device."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            remember = services.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as err:
            name = err.details.get("field", "")
            field = getattr(form, "new_password" if name == "password" else name, None)
            (field.errors if field is not None else form.form_errors).append(err.message)
            status = 429 if err.status == 429 else 422
        else:
            login_user(
                current_user._get_current_object(),
                remember=remember,
                duration=current_app.config["REMEMBER_COOKIE_DURATION"],
            )
            flash(_("Your password is changed. Other phones and apps are signed out."), "success")
            return redirect(url_for("accounts.account"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "accounts/account.html", form=form, everywhere=EmptyForm(), password_rule=passwords.rule_text()
    ), status


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("accounts.account"))
    services.sign_out_everywhere(current_user)
    logout_user()
    flash(_("You are signed out on every phone and computer."), "info")
    return redirect(url_for("accounts.login"))


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
