"""Languages: zh (default) and en; the user's own choice, else the browser's.

Message catalogs are ``web/translations/<locale>/LC_MESSAGES/messages.po``; their compiled
``.mo`` files are committed beside them (a test checks they agree), so an editable install
needs no build step. After editing a ``.po`` file: ``pybabel compile -d web/translations``.
Texts that come from definitions carry their own zh/en and go through ``localized``.
"""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from engine.text import pick_text
from web import signin
from web.forms import LANGUAGES, LanguageForm
from web.security import safe_next

LOCALES = tuple(code for code, _ in LANGUAGES)
HTML_LANG = {"zh": "zh-CN", "en": "en"}
SESSION_KEY = "locale"

bp = Blueprint("i18n", __name__)
babel = Babel()


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.globals.update(current_locale=current_locale, html_lang=html_lang,
                                 languages=LANGUAGES, language_form=language_form)


def select_locale() -> str:
    """The signed-in user's locale; else the one chosen this session; else the browser's."""
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if session.get(SESSION_KEY) in LOCALES:
        return session[SESSION_KEY]
    return request.accept_languages.best_match(LOCALES) or LOCALES[0]


def current_locale() -> str:
    return str(get_locale() or LOCALES[0])


def html_lang() -> str:
    return HTML_LANG.get(current_locale(), current_locale())


def localized(text) -> str:
    """A definition's human text (a string, or a map of locale to string) in this language."""
    return pick_text(text, current_locale())


def language_form() -> LanguageForm:
    return LanguageForm(formdata=None, locale=current_locale(),
                        next=request.full_path.rstrip("?"))


@bp.post("/language")
def switch():
    """Switch the language: stored on the user when signed in, in the session otherwise."""
    form = LanguageForm()
    if form.validate_on_submit():
        session[SESSION_KEY] = form.locale.data
        if current_user.is_authenticated:
            signin.set_locale(current_user.id, form.locale.data)
    return redirect(safe_next(form.next.data))
