"""Host staff pages: pending queue, approve/reject (one or many), today's schedule, host cancel."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/pending")
@login_required
def pending():
    return render_template("staff/pending.html")


@bp.get("/today")
@login_required
def today():
    return render_template("staff/today.html")
