"""Languages: zh by default, en by the browser, the user's locale, the switch; catalogs."""
from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from sqlalchemy import select

from engine.models import User
from web_support import add_user, app, client, make_app, post_form, sign_in, text  # noqa: F401

TRANSLATIONS = Path(__file__).resolve().parent.parent / "web" / "translations"


def test_chinese_by_default(client):
    page = text(client.get("/login"))
    assert '<html lang="zh-CN">' in page
    assert "<h1>登录</h1>" in page and '<label for="username">用户名</label>' in page


def test_english_when_the_browser_prefers_it(client):
    page = text(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="en">' in page and "<h1>Sign in</h1>" in page


def test_chinese_when_the_browser_prefers_it_over_english(client):
    page = text(client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}))
    assert "<h1>登录</h1>" in page


def test_unknown_browser_language_falls_back_to_chinese(client):
    assert "<h1>登录</h1>" in text(client.get("/login", headers={"Accept-Language": "fr"}))


def test_the_users_locale_wins_over_the_browser(client, add_user):
    add_user("mike", locale="en", name="Mike")
    sign_in(client, "mike")
    page = text(client.get("/", headers={"Accept-Language": "zh-CN"}))
    assert "Hello, Mike" in page and "Sales rep" in page


def test_switch_when_signed_out_lasts_the_session(client):
    response = post_form(client, "/language", {"locale": "en", "next": "/login?next=/tasks"},
                         page="/login")
    assert response.location == "/login?next=/tasks"
    assert "<h1>Sign in</h1>" in text(client.get("/login"))


def test_switch_when_signed_in_is_stored_on_the_user(client, add_user, session):
    add_user("wangfang", name="王芳")
    sign_in(client, "wangfang")
    post_form(client, "/language", {"locale": "en", "next": "/"})
    assert "Hello, 王芳" in text(client.get("/"))
    assert session.scalar(select(User.locale).where(User.username == "wangfang")) == "en"


def test_switch_refuses_other_languages_and_outside_targets(client, add_user, session):
    add_user("wangfang")
    sign_in(client, "wangfang")
    response = post_form(client, "/language", {"locale": "fr", "next": "https://evil.example"})
    assert response.location == "/"
    assert session.scalar(select(User.locale).where(User.username == "wangfang")) == "zh"


def test_definition_text_in_the_current_language(app):
    label = {"zh": "明星客户", "en": "Top account"}
    template = "{{ label|localized }}|{{ plain|localized }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(template, label=label, plain="<i>") == "Top account|&lt;i&gt;"
    with app.test_request_context("/"):
        assert render_template_string(template, label=label, plain="x") == "明星客户|x"


def test_every_message_has_a_chinese_translation():
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as file:
        catalog = read_po(file)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogs_match_their_po_files():
    """The committed .mo files are what ``pybabel compile`` makes of the .po files."""
    def entries(catalog):        # plural entries have a tuple of ids and of strings
        return {_hashable(m.id): _hashable(m.string) for m in catalog if m.id}

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with open(po, "rb") as file:
            source = entries(read_po(file))
        with open(po.with_suffix(".mo"), "rb") as file:
            compiled = entries(read_mo(file))
        assert compiled == source, f"{po}: run pybabel compile -d web/translations"


def test_every_message_in_the_code_is_in_the_catalog():
    """Strings marked in templates and Python are all in messages.po (none left in English)."""
    from babel.messages.extract import extract_from_dir

    web = TRANSLATIONS.parent
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None}
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(web), method_map, keywords=keywords) if isinstance(message, str)}
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as file:
        known = {text for m in read_po(file) if m.id
                 for text in (m.id if isinstance(m.id, tuple) else (m.id,))}
    assert len(found) > 50 and found - known == set()


def _hashable(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value
