"""Pages that belong to no single feature: home and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_login import current_user, login_required

from .accounts import services as accounts
from .accounts.views import _safe_next
from .filters import TEXT_SIZE_COOKIE

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("main/home.html")


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            accounts.set_locale(current_user, code)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/text-size")
def set_text_size():
    """Large text (大字版), kept on this phone for a year; no sign-in needed to read better."""
    response = redirect(_safe_next(request.form.get("next")))
    if request.form.get("size") == "large":
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            "large",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE)
    return response


@bp.get("/healthz")
def healthz():
    return {"ok": True}
