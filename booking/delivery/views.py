"""Notification settings, the email links (verify, unsubscribe), Web Push subscriptions and
the dead-letter list for host staff and district admins."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import csrf
from ..facilities.services import managed_host_ids
from ..notifications import channels
from ..notifications import services as notices
from ..notifications.channels.push import public_key
from . import services
from .forms import ButtonForm, SettingsForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    current = notices.settings_of(current_user.id)
    form = SettingsForm(
        data=None
        if request.method == "POST"
        else {
            "email": current.email,
            "email_on": current.email_on,
            "push_on": current.push_on,
            "wecom_on": current.wecom_on,
            "wecom_user": current.wecom_user or "",
            "reminder_minutes": str(current.reminder_minutes),
            "quiet_start": _hhmm(current.quiet_start),
            "quiet_end": _hhmm(current.quiet_end),
        }
    )
    enabled = channels.enabled()
    email_enabled, wecom_enabled = "email" in enabled, "wecom" in enabled
    if form.validate_on_submit():
        # A channel this server does not offer has no fields on the page: keep what is stored.
        email, email_on = (form.email.data, form.email_on.data) if email_enabled else (current.email, current.email_on)
        try:
            new_address = notices.save_settings(
                current_user,
                email,
                email_on,
                form.push_on.data,
                form.wecom_on.data if wecom_enabled else current.wecom_on,
                form.reminder_minutes.data,
                form.quiet_start.data,
                form.quiet_end.data,
                form.wecom_user.data if wecom_enabled else current.wecom_user,
            )
        except DomainError as err:
            flash(err.message, "error")
            return render_template(
                "notifications/settings.html",
                form=form,
                current=current,
                email_enabled=email_enabled,
                wecom_enabled=wecom_enabled,
            ), 400
        if new_address:
            flash(_("We sent a link to your new address. Open it to start getting emails."), "success")
        else:
            flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html",
        form=form,
        current=current,
        email_enabled=email_enabled,
        wecom_enabled=wecom_enabled,
    )


@bp.get("/verify/<token>")
def verify(token: str):
    try:
        notices.verify_email(token)
    except DomainError as err:
        if err.status == 404:
            raise
        return render_template("notifications/message.html", title=_("Email address"), text=err.message), 400
    return render_template(
        "notifications/message.html", title=_("Email address"), text=_("Thank you: your email address is confirmed.")
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail apps post here (RFC 8058 one-click)
def unsubscribe(token: str):
    if request.method == "POST":
        notices.unsubscribe(token)
        return render_template(
            "notifications/message.html",
            title=_("Unsubscribe"),
            text=_("You will get no more emails from us. Other notifications stay on."),
        )
    return render_template("notifications/unsubscribe.html", token=token)


@bp.get("/push/key")
@login_required
def push_key():
    return jsonify({"key": public_key(current_app)})


@bp.post("/push/subscribe")
@login_required
def push_subscribe():
    try:
        notices.subscribe_push(current_user, request.get_json(silent=True) or {})
    except DomainError as err:
        return jsonify({"error": {"code": err.code, "message": err.message}}), 400
    return jsonify({"result": "subscribed"}), 201


@bp.post("/push/unsubscribe")
@login_required
def push_unsubscribe():
    endpoint = (request.get_json(silent=True) or {}).get("endpoint")
    if not isinstance(endpoint, str):
        return jsonify({"error": {"code": "invalid_subscription", "message": _("No subscription given.")}}), 400
    notices.unsubscribe_push(current_user, endpoint)
    return jsonify({"result": "unsubscribed"})


def _staff_or_404():
    if not (current_user.has_role("district_admin") or managed_host_ids(current_user)):
        abort(404)


@bp.get("/outbox")
@login_required
def dead_letters():
    _staff_or_404()
    return render_template(
        "notifications/dead_letters.html",
        items=services.dead_letters(current_user),
        form=ButtonForm(),
        tz=current_app.config["DEFAULT_TIMEZONE"],
    )


@bp.post("/outbox/<int:message_id>/retry")
@login_required
def retry(message_id: int):
    _staff_or_404()
    if not ButtonForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        services.retry_dead(current_user, message_id)
        flash(_("The message will be sent again."), "success")
    return redirect(url_for("notifications.dead_letters"))
