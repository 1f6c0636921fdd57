"""Worker pages: facilities I may book, a facility's day, the quick finder."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("facilities", __name__, url_prefix="/facilities")


@bp.get("/")
@login_required
def index():
    return render_template("facilities/index.html")
