"""``/``: the home page of the signed-in user's role."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from web.areas import areas_for

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("home.html", areas=areas_for(current_user.role))
