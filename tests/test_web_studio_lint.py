"""The YAML editor shows the lint's warnings of the latest version at their lines, apart from
the problems that stop a save, in the reader's language, with whatever an admin or the data
put in them shown as text."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from engine.db import transaction
from engine.definitions import store
from engine.definitions.lint import MESSAGES
from engine.models import Customer, User
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

EDIT = f"/studio/ruleset/{RULESET}/edit"
FORM_EDIT = "/studio/form/hospital/edit"
LINT_DATA = f"/studio/ruleset/{RULESET}/lint/"
HOSTILE = "<script>alert(1)</script>"


def _set_locale(engine, locale: str) -> None:
    with transaction(engine) as session:
        session.execute(update(User).where(User.username == "admin").values(locale=locale))


def _source(engine, kind: str, def_id: str) -> str:
    with transaction(engine) as session:
        definition = store.get_definition(session, kind, def_id)
        return store.latest_version(session, definition).source


def _line_of(source: str, start: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1)
                if line.lstrip().startswith(start))


def _warnings_section(page: str) -> str:
    match = re.search(r'<section class="studio-warnings".*?</section>', page, re.S)
    assert match, "the page has a warnings section"
    return match.group(0)


def test_the_editor_shows_each_warning_at_its_line(app, world, engine):
    _set_locale(engine, "en")
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    page = text(client.get(EDIT))
    line = _line_of(_source(engine, "ruleset", RULESET), "revenue_prev:")
    section = _warnings_section(page)
    assert "studio-problems" not in page and 'aria-invalid="true"' not in page
    assert (f'<a href="#line-{line}" class="problem-at warning-at" data-line="{line}">'
            f"line {line}</a>") in section
    assert "Metric &#39;revenue_prev&#39; is computed but never scored" in section
    assert f'<li id="line-{line}" class="has-warning">{line}</li>' in page
    # Warnings from the data come after the page, from the fragment it asks for.
    assert "data-code=\"map_missing_data\"" not in page
    assert f'hx-get="{LINT_DATA}1" hx-trigger="load"' in section
    fragment = text(client.get(f"{LINT_DATA}1"))
    # The world's profiles hold numbers where the map expects option values.
    assert re.search(r"data-code=\"map_missing_data\".*The data holds values of "
                     r"&#39;academic_influence&#39;", fragment, re.S)
    data_line = _line_of(_source(engine, "ruleset", RULESET), "- metric: influence")
    assert (f'<li id="line-{data_line + 2}" class="has-warning" hx-swap-oob="true">'
            in fragment)
    assert client.get(f"{LINT_DATA}99").status_code == 404


def test_warnings_read_in_chinese_for_a_chinese_admin(app, world, engine):
    _set_locale(engine, "zh")
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    section = _warnings_section(text(client.get(EDIT)))
    assert "指标 &#39;revenue_prev&#39; 每次都会计算，但从未计分" in section
    assert re.search(r"第 \d+ 行", section)


def test_every_warning_message_has_a_chinese_text(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        from flask_babel import force_locale, gettext

        with force_locale("zh"):
            for code, message in MESSAGES.items():
                params = dict.fromkeys(re.findall(r"%\((\w+)\)s", message), "x")
                shown = gettext(message, **params)
                assert shown != message % params, code
                assert re.search(r"[\u4e00-\u9fff]", shown), code


def test_a_save_with_warnings_comes_back_to_the_editor(app, world, engine):
    _set_locale(engine, "en")
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    source = _source(engine, "ruleset", RULESET)
    heavier = re.sub(r"weight: (\d+)", lambda m: f"weight: {int(m.group(1)) * 50}", source,
                     count=1)
    response = post_form(client, EDIT, {"source": heavier}, page=EDIT)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{EDIT}#warnings")
    page = text(client.get(response.headers["Location"]))
    assert "Draft saved as version 2" in page
    section = _warnings_section(page)
    assert 'data-code="axis_dominant_item"' in section
    assert "Warnings about version 2" in section


def test_hostile_text_in_warnings_is_shown_as_text(app, world, engine):
    _set_locale(engine, "en")
    with transaction(engine) as session:
        customer = session.scalars(select(Customer).where(Customer.code == "C1")).one()
        customer.profile = {**customer.profile, "development_plan": HOSTILE}
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    fragment = text(client.get(f"{LINT_DATA}1"))
    assert HOSTILE not in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    # A hostile option value in a form's visible_if, saved as a draft.
    source = _source(engine, "form", "hospital")
    condition = "visible_if: development_plan == 'expanding'"
    assert condition in source
    hostile = source.replace(condition, f"visible_if: \"development_plan == '{HOSTILE}'\"")
    response = post_form(client, FORM_EDIT, {"source": hostile}, page=FORM_EDIT)
    assert response.status_code == 303, text(response)
    page = text(client.get(FORM_EDIT))
    section = _warnings_section(page)
    assert 'data-code="visible_if_never_true"' in section
    assert 'data-code="visible_if_unknown_option"' in section
    assert HOSTILE not in page and "&lt;script&gt;" in section


def test_a_refused_text_shows_its_problems_not_warnings(app, world, engine):
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 302
    broken = _source(engine, "ruleset", RULESET).replace("metric:", "metrik:", 1)
    response = post_form(client, EDIT, {"source": broken}, page=EDIT)
    assert response.status_code == 400
    page = text(response)
    assert 'class="studio-problems"' in page and "studio-warnings" not in page
