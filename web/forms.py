"""The forms of the sign-in pages; every field has a label (and so an accessible name)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, ValidationError

from engine.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

LANGUAGES = (("zh", "中文"), ("en", "English"))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"})
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


def _no_outer_spaces(form, field) -> None:
    if field.data and field.data.strip() != field.data:
        raise ValidationError(_l("A password may not start or end with a space."))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(),
                    Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                           message=_l("Use %(min)d to %(max)d characters.",
                                      min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)),
                    _no_outer_spaces],
        description=_l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class LanguageForm(FlaskForm):
    # Sent by the switch's buttons (one per language), so a string checked against the codes.
    locale = StringField(_l("Language"), validators=[AnyOf([code for code, _ in LANGUAGES])])
    next = HiddenField()
