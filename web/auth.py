"""``/login``, ``/logout`` and ``/password``: signing in and out, changing one's password."""
from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from web import signin
from web.forms import LoginForm, PasswordForm
from web.security import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    outcome = signin.sign_in(form.username.data.strip(), form.password.data,
                             request.remote_addr or "unknown")
    if outcome.throttled:
        minutes = math.ceil(outcome.retry_after.total_seconds() / 60)
        form.form_errors.append(_("Too many failed sign-ins. Try again in %(n)d min.",
                                  n=minutes))
        seconds = str(math.ceil(outcome.retry_after.total_seconds()))
        return render_template("auth/login.html", form=form), 429, {"Retry-After": seconds}
    if outcome.user is None:
        form.form_errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401
    _start_session(outcome.user)
    return redirect(safe_next(form.next.data))


def _start_session(user) -> None:
    """A fresh session for ``user`` (nothing of the anonymous one is kept: no fixation)."""
    session.clear()
    login_user(user)
    session.permanent = True


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        return render_template("auth/logout.html")
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400 if form.errors else 200
    user = signin.change_password(current_user.username, form.current.data, form.new.data)
    if user is None:
        form.current.errors = [_("This is not your current password.")]
        return render_template("auth/password.html", form=form), 400
    _start_session(user)
    flash(_("Your password has been changed. Other sessions have been signed out."), "success")
    return redirect(url_for("home.index"))
