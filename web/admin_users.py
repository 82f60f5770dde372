"""``/admin/users``: users and teams, for admins (SPEC §5.1): the list with open tasks and
owned customers, creating and editing users, setting a password (shown once), API tokens, and
deactivating a user with their work handed to another active user (``engine.user_admin``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from engine import access, tokens, user_admin, users
from engine.db import transaction
from engine.errors import NotFound
from web.accounts import ROLE_LABELS, role_required, signed_in_user
from web.times import local_time
from web.database import get_engine
from web.forms import LANGUAGES

bp = Blueprint("admin_users", __name__)
ADMINS = (access.ADMIN,)

SENIORITY_LABELS = {"junior": _l("Junior"), "regular": _l("Regular"), "senior": _l("Senior")}
FIELDS = ("name", "role", "seniority", "team", "manager_id", "email", "locale")


def _no_outer_spaces(form, field) -> None:
    if field.data and field.data.strip() != field.data:
        raise ValidationError(_l("A password may not start or end with a space."))


PASSWORD_RULES = [Optional(strip_whitespace=False),
                  Length(min=users.MIN_PASSWORD_LENGTH, max=users.MAX_PASSWORD_LENGTH,
                         message=_l("Use %(min)d to %(max)d characters.",
                                    min=users.MIN_PASSWORD_LENGTH,
                                    max=users.MAX_PASSWORD_LENGTH)),
                  _no_outer_spaces]


class UserForm(FlaskForm):
    # Choices are checked by engine.user_admin, which words every problem at its field.
    name = StringField(_l("Name"))
    role = SelectField(_l("Role"), validate_choice=False,
                       choices=[SelectChoice(role, ROLE_LABELS[role]) for role in users.ROLES])
    seniority = SelectField(_l("Seniority"), validate_choice=False,
                            choices=[SelectChoice("", _l("(none)"))] + [
                                SelectChoice(k, v) for k, v in SENIORITY_LABELS.items()])
    team = StringField(_l("Team"), render_kw={"list": "team-names", "autocomplete": "off"})
    manager_id = SelectField(_l("Manager"), validate_choice=False)
    email = StringField(_l("Email"), render_kw={"type": "email", "autocomplete": "off"})
    locale = SelectField(_l("Language"), validate_choice=False,
                         choices=[SelectChoice(code, label) for code, label in LANGUAGES])


class NewUserForm(UserForm):
    username = StringField(_l("Username"),
                           description=_l("Letters, digits and . _ @ -; it cannot be changed "
                                          "later."),
                           render_kw={"autocapitalize": "none", "spellcheck": "false",
                                      "autocomplete": "off"})
    password = PasswordField(_l("Password"), validators=PASSWORD_RULES,
                             description=_l("Empty: a password is generated and shown once."),
                             render_kw={"autocomplete": "new-password"})


class PasswordForm(FlaskForm):
    mode = RadioField(_l("New password"), default="generate",
                      choices=[SelectChoice("generate", _l("Generate one and show it once")),
                               SelectChoice("typed", _l("Use the password typed below"))])
    password = PasswordField(_l("Password"), validators=PASSWORD_RULES,
                             render_kw={"autocomplete": "new-password"})


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": local_time}


def _viewer() -> access.Viewer:
    return access.Viewer.of(current_user)


def _problem_text(problem: user_admin.FieldProblem) -> str:
    reason, field, params = problem.reason, problem.field, problem.params
    texts = {
        ("username", "required"): _("Enter a username."),
        ("username", "format"): _("Use only letters, digits and . _ @ -, starting with a "
                                  "letter or digit."),
        ("username", "taken"): _("This username is already taken."),
        ("name", "required"): _("Enter the person's name."),
        ("email", "format"): _("Enter an email address such as name@example.com."),
        ("manager_id", "manager"): _("Choose an active manager or administrator."),
        ("manager_id", "self"): _("A user cannot be their own manager."),
        ("role", "self"): _("You cannot take the administrator role from yourself."),
        ("role", "last_admin"): _("This is the last active administrator; make another user "
                                  "an administrator first."),
        ("form", "self"): _("You cannot deactivate yourself."),
        ("form", "last_admin"): _("This is the last active administrator; it cannot be "
                                  "deactivated."),
        ("form", "inactive"): _("This user is already inactive."),
        ("form", "active"): _("This user is already active."),
        ("successor", "required"): _("Choose who takes over the open tasks and customers."),
        ("successor", "successor"): _("Choose an active user other than this one."),
    }
    if reason == "too_long":
        return _("At most %(n)d characters.", n=params["n"])
    if reason == "choice":
        return _("Choose one of the options.")
    if reason == "password":
        return _("This password cannot be used.")
    return texts.get((field, reason), reason)


def _put_problems(form: FlaskForm, refused: user_admin.UserChangeRefused) -> None:
    for problem in refused.problems:
        target = form[problem.field] if problem.field in form else None
        if target is None:
            form.form_errors.append(_problem_text(problem))
        else:
            target.errors = [*target.errors, _problem_text(problem)]


def _choose_managers(form: UserForm, exclude: int | None = None) -> list:
    with get_engine().connect() as connection:
        managers = user_admin.managers(connection, exclude)
        teams = user_admin.teams(connection)
    form.manager_id.choices = [SelectChoice("", _("(none)"))] + [
        SelectChoice(str(m.id), f"{m.name} ({m.username})" + (f" · {m.team}" if m.team else ""))
        for m in managers]
    return teams


def _values(form: UserForm) -> dict:
    return {name: form[name].data for name in FIELDS}


# ----- list ------------------------------------------------------------------------------

def _filters() -> user_admin.UserFilters:
    args = request.args
    active = {"yes": True, "no": False}.get(args.get("active", "yes"))
    role = args.get("role") if args.get("role") in users.ROLES else None
    return user_admin.UserFilters(role=role, team=args.get("team") or None, active=active,
                                  text=(args.get("q") or "").strip()[:100] or None,
                                  after=args.get("after") or None)


@bp.get("/admin/users")
@role_required(*ADMINS)
def index():
    filters = _filters()
    with get_engine().connect() as connection:
        rows, next_after = user_admin.user_rows(connection, _viewer(), filters)
        teams = user_admin.teams(connection)
    args = {key: value for key, value in request.args.items() if key != "after"}
    return render_template("admin/users.html", rows=rows, next_after=next_after, teams=teams,
                           filters=filters, args=args, active_arg=request.args.get("active", "yes"),
                           role_labels=ROLE_LABELS, seniority_labels=SENIORITY_LABELS)


# ----- create ----------------------------------------------------------------------------

@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new():
    form = NewUserForm(locale="zh", role="rep")
    teams = _choose_managers(form)
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("admin/users_new.html", form=form, teams=teams), status
    password = form.password.data or users.generate_password()
    try:
        with transaction(get_engine()) as session:
            user = user_admin.create(session, {"username": form.username.data, **_values(form)},
                                     current_user.username, password)
            created = (user.id, user.username)
    except user_admin.UserChangeRefused as refused:
        _put_problems(form, refused)
        return render_template("admin/users_new.html", form=form, teams=teams), 400
    generated = None if form.password.data else password
    return _password_shown(created[0], created[1], generated, created=True)


def _password_shown(user_id: int, username: str, generated: str | None, created: bool = False):
    response = make_response(render_template("admin/users_password.html", user_id=user_id,
                                             username=username, generated=generated,
                                             created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


# ----- edit ------------------------------------------------------------------------------

def _edit_page(user_id: int, form: UserForm | None = None, password_form=None, status=200):
    with Session(get_engine()) as session:
        try:
            user = user_admin.get_user(session, user_id)
        except NotFound:
            abort(404)
        user_tokens = tokens.tokens_of(session, user_id)
        counts = user_admin.handover_counts(session.connection(), user_id)
    if form is None:
        form = UserForm(data={"name": user.name, "role": user.role,
                              "seniority": user.seniority or "", "team": user.team or "",
                              "manager_id": str(user.manager_id or ""),
                              "email": user.email or "", "locale": user.locale})
    teams = _choose_managers(form, exclude=user_id)
    return render_template("admin/users_edit.html", user=user, form=form, teams=teams,
                           password_form=password_form or PasswordForm(), tokens=user_tokens,
                           counts=counts, role_labels=ROLE_LABELS), status


@bp.get("/admin/users/<int:user_id>")
@role_required(*ADMINS)
def edit(user_id: int):
    return _edit_page(user_id)


@bp.post("/admin/users/<int:user_id>")
@role_required(*ADMINS)
def update(user_id: int):
    form = UserForm()
    if not form.validate_on_submit():
        return _edit_page(user_id, form, status=400)
    try:
        with transaction(get_engine()) as session:
            user_admin.update_user(session, user_id, _values(form), _viewer())
    except NotFound:
        abort(404)
    except user_admin.UserChangeRefused as refused:
        _put_problems(form, refused)
        return _edit_page(user_id, form, status=400)
    flash(_("Changes saved."), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id), 303)


@bp.post("/admin/users/<int:user_id>/password")
@role_required(*ADMINS)
def password(user_id: int):
    form = PasswordForm()
    valid = form.validate_on_submit()
    if valid and form.mode.data == "typed" and not form.password.data:
        form.password.errors = [_("Type the new password, or choose to generate one.")]
        valid = False
    if not valid:
        return _edit_page(user_id, password_form=form, status=400)
    typed = form.password.data if form.mode.data == "typed" else None
    secret = typed or users.generate_password()
    with transaction(get_engine()) as session:
        try:
            user = user_admin.get_user(session, user_id)
        except NotFound:
            abort(404)
        users.set_password(session, user.username, secret, actor=current_user.username)
        username, me = user.username, signed_in_user(user) if user.id == current_user.id else None
    if me is not None:
        login_user(me)     # a new password ends the other sessions, not this one
    return _password_shown(user_id, username, None if typed else secret)


@bp.post("/admin/users/<int:user_id>/tokens/revoke")
@role_required(*ADMINS)
def revoke_token(user_id: int):
    token_id = request.form.get("token_id", type=int)
    with transaction(get_engine()) as session:
        mine = {token.id for token in tokens.tokens_of(session, user_id)}
        if token_id not in mine:
            abort(404)
        tokens.revoke_token(session, token_id, actor=current_user.username)
    flash(_("The token is revoked; it no longer opens anything."), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id) + "#tokens", 303)


# ----- deactivate, reactivate ------------------------------------------------------------

def _deactivate_page(user_id: int, problems: list[str] | None = None,
                     successor_errors: list[str] | None = None, status: int = 200):
    with Session(get_engine()) as session:
        try:
            user = user_admin.get_user(session, user_id)
        except NotFound:
            abort(404)
        connection = session.connection()
        open_tasks, customers = user_admin.handover_counts(connection, user_id)
        candidates = user_admin.successors(connection, user_id)
    return render_template("admin/users_deactivate.html", user=user, open_tasks=open_tasks,
                           customers=customers, candidates=candidates,
                           problems=problems or [], successor_errors=successor_errors or [],
                           chosen=request.form.get("successor", ""),
                           role_labels=ROLE_LABELS), status


@bp.get("/admin/users/<int:user_id>/deactivate")
@role_required(*ADMINS)
def deactivate_form(user_id: int):
    return _deactivate_page(user_id)


@bp.post("/admin/users/<int:user_id>/deactivate")
@role_required(*ADMINS)
def deactivate(user_id: int):
    raw = request.form.get("successor", "")
    successor = int(raw) if raw.isdigit() else None
    try:
        with transaction(get_engine()) as session:
            handover = user_admin.deactivate(session, user_id, _viewer(), successor)
    except NotFound:
        abort(404)
    except user_admin.UserChangeRefused as refused:
        general = [_problem_text(p) for p in refused.problems if p.field == "form"]
        at_field = [_problem_text(p) for p in refused.problems if p.field == "successor"]
        return _deactivate_page(user_id, general, at_field, 400)
    if handover.successor:
        flash(_("User deactivated. %(tasks)d open tasks and %(customers)d customers now belong "
                "to %(user)s.", tasks=handover.tasks, customers=handover.customers,
                user=handover.successor), "success")
    else:
        flash(_("User deactivated."), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id), 303)


@bp.post("/admin/users/<int:user_id>/reactivate")
@role_required(*ADMINS)
def reactivate(user_id: int):
    try:
        with transaction(get_engine()) as session:
            user_admin.reactivate(session, user_id, _viewer())
    except NotFound:
        abort(404)
    except user_admin.UserChangeRefused as refused:
        flash(" ".join(_problem_text(p) for p in refused.problems), "error")
        return redirect(url_for("admin_users.edit", user_id=user_id), 303)
    flash(_("User reactivated. They can sign in again."), "success")
    return redirect(url_for("admin_users.edit", user_id=user_id), 303)
