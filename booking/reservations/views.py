"""Worker pages: book a slot, my bookings, a booking's page, cancel, notifications."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("reservations", __name__, url_prefix="/bookings")


@bp.get("/")
@login_required
def mine():
    return render_template("reservations/mine.html")
