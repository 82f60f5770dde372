"""``/studio/ruleset/<id>/design``: the structured ruleset editor saves drafts through the
validator of ``pack import``; the published version stays as it was."""
from __future__ import annotations

import html
import re

from engine.db import transaction
from engine.definitions import store
from engine.definitions.yamlsafe import parse_text
from web_support import app, make_app, post_form, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, RULESET, _world_snapshot, world  # noqa: F401  (fixtures)

DESIGN = f"/studio/ruleset/{RULESET}/design"


def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def _versions(engine):
    """(published number, published source, latest version) of the world's ruleset."""
    with transaction(engine) as session:
        definition = store.get_definition(session, "ruleset", RULESET)
        published = store.published_version(session, definition)
        latest = store.latest_version(session, definition)
        return published.number, published.source, latest


def _form(page: str) -> dict:
    """The editor's form as the browser would submit it (inputs, selected options, source)."""
    data = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'\bname="([^"]*)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        data[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select[^>]*\bname="([^"]*)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or \
            re.search(r'<option value="([^"]*)"', body)
        data[html.unescape(name)] = html.unescape(chosen.group(1))
    source = re.search(r'<textarea name="source"[^>]*>(.*?)</textarea>', page, re.S)
    data["source"] = html.unescape(source.group(1))
    data.pop("csrf_token", None)
    return data


def _band_key(page: str) -> str:
    """The name prefix of the first band row of the page."""
    match = re.search(r'name="(band\|[^"|]*\.bands\[0\])\|min"', page)
    assert match, "the world's ruleset has bands"
    return html.unescape(match.group(1))


def _bands_of(source: str, band_path: str):
    parsed = parse_text(source, "rules/x.yaml").content
    node = parsed
    for part in re.findall(r"\.([a-z_]+)|\[(\d+)\]", band_path.split("|", 1)[1].rsplit("[", 1)[0]):
        node = node[part[0]] if part[0] else node[int(part[1])]
    return node


def test_the_editor_shows_shares_bands_schedule_and_segments(app, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    assert 'name="band|' in page and "占该维度" in page      # the world's admin reads zh
    assert re.search(r"\d+\.\d %", page), "weights are shown as shares of their axis"
    assert 'id="schedule-words"' in page
    assert 'name="label|$.classification' in page


def test_moving_a_band_saves_a_draft_and_leaves_the_published_version(app, engine, world):
    number, published_source, latest = _versions(engine)
    client = _client(app)
    page = text(client.get(DESIGN))
    key = _band_key(page)
    data = _form(page)
    old_min = data[f"{key}|min"]
    data[f"{key}|min"] = str(int(float(old_min or 0)) + 1)
    data["action"] = "save"
    response = post_form(client, DESIGN, data, page=DESIGN)
    assert response.status_code == 303, text(response)[:2000]
    number_after, source_after, draft = _versions(engine)
    assert (number_after, source_after) == (number, published_source)
    assert draft.number == latest.number + 1
    bands = _bands_of(draft.source, key)
    assert bands[0]["min"] == int(float(old_min or 0)) + 1
    changed = [line for line in draft.source.splitlines()
               if line not in latest.source.splitlines()]
    assert len(changed) == 1, "only the line of the band changed"
    assert "#" in draft.source and draft.source.count("#") == latest.source.count("#")


def test_reordering_bands_without_saving_keeps_the_work_in_the_form(app, engine, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    key = _band_key(page)
    bands_path = key.split("|", 1)[1].rsplit("[", 1)[0]
    data = _form(page) | {"op": f"move|{bands_path}|0|1"}
    response = post_form(client, DESIGN, data, page=DESIGN)
    assert response.status_code == 200
    moved = _form(text(response))["source"]
    before = _bands_of(data["source"], key)
    after = _bands_of(moved, key)
    assert after[0] == before[1] and after[1] == before[0]
    assert _versions(engine)[2].source == data["source"], "nothing is saved"


def test_an_invalid_change_is_shown_at_its_field_and_nothing_is_saved(app, engine, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    latest = _versions(engine)[2]
    key = _band_key(page)
    data = _form(page) | {f"{key}|min": "50", f"{key}|max": "10", "action": "save"}
    response = post_form(client, DESIGN, data, page=DESIGN)
    assert response.status_code == 400
    body = text(response)
    assert "band min is above its max" in body
    assert re.search(r'class="re-band has-error"', body), "the problem is at its band"
    assert _versions(engine)[2].number == latest.number


def test_a_value_that_is_no_number_is_refused_at_its_field(app, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    weight = re.search(r'name="(req\|[^"]*\.weight)"', page).group(1)
    data = _form(page) | {html.unescape(weight): "heavy", "action": "save"}
    response = post_form(client, DESIGN, data, page=DESIGN)
    assert response.status_code == 400
    assert "&#39;heavy&#39; is not a number" in text(response)
    assert 'aria-invalid="true"' in text(response)


def test_hostile_labels_are_shown_as_text(app, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    label = re.search(r'name="(label\|\$\.classification[^"|]*)\|en"', page).group(1)
    data = _form(page) | {f"{html.unescape(label)}|en": "<script>alert(1)</script>"}
    body = text(post_form(client, DESIGN, data, page=DESIGN))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_an_expression_is_checked_as_it_is_typed(app, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    name = html.unescape(re.search(r'name="(str\|\$\.metrics\.[a-z_]+\.(formula|of))"',
                                   page).group(1))
    data = _form(page) | {name: "revenue +", "field": name}
    body = text(post_form(client, f"{DESIGN}/check", data, page=DESIGN))
    assert "position 10" in body and "<mark>" in body
    data[name] = data[name] if data[name] != "revenue +" else "1"
    ok = text(post_form(client, f"{DESIGN}/check", _form(page) | {"field": name}, page=DESIGN))
    assert "field-error" not in ok


def test_the_schedule_in_words_follows_the_text(app, world):
    client = _client(app)
    body = text(client.get(f"{DESIGN}/schedule", query_string={"str|$.schedule": "30 3 * * 1"}))
    assert "Mondays at 03:30" in body or "每周一 03:30" in body
    assert body.count("<time") == 3
    bad = text(client.get(f"{DESIGN}/schedule", query_string={"str|$.schedule": "61 3 * * 1"}))
    assert "field-error" in bad


def test_only_admins_open_the_editor(app, world):
    for username in ("m1", "r1", "s1"):
        assert _client(app, username).get(DESIGN).status_code == 403


def _score_path(page: str, kind: str) -> str:
    """The path of the first item score of ``kind`` on the page."""
    for path, body in re.findall(r'<select[^>]*name="score\|([^"]*)"[^>]*>(.*?)</select>',
                                 page, re.S):
        if re.search(rf'<option value="{kind}" selected', body):
            return html.unescape(path)
    raise AssertionError(f"no {kind} score on the page")


def _at(source: str, path: str):
    node = parse_text(source, "rules/x.yaml").content
    for key, index in re.findall(r"\.([a-z_]+)|\[(\d+)\]", path):
        node = node[key] if key else node[int(index)]
    return node


def test_switching_a_score_kind_gives_a_fresh_editor_of_that_kind(app, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    path = _score_path(page, "percentile")
    data = _form(page) | {f"score|{path}": "bands", "action": "apply"}
    body = text(post_form(client, DESIGN, data, page=DESIGN))
    assert "bands" in _at(_form(body)["source"], path)
    bands = _score_path(page, "bands")
    data = _form(page) | {f"score|{bands}": "linear", "action": "apply"}
    switched = _form(text(post_form(client, DESIGN, data, page=DESIGN)))["source"]
    assert _at(switched, bands) == {"linear": {"from": 0, "to": 100}}, \
        "the fields of the old bands are left behind"


def test_map_linear_split_and_segment_edits(app, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    data = _form(page)
    map_path = _score_path(page, "map")
    data[f"map|{map_path}|key:0"] = ""                       # an emptied row is removed
    data[f"map|{map_path}|pts:0"] = ""
    blank = max(int(k.rsplit(":", 1)[1]) for k in data if k.startswith(f"map|{map_path}|key:"))
    data[f"map|{map_path}|key:{blank}"] = "yes"
    data[f"map|{map_path}|pts:{blank}"] = "6"
    linear = _score_path(page, "linear")
    data[f"req|{linear}.linear.to"] = "9"
    split = next(k for k in data if k.startswith("split|"))
    data[split] = "p75"
    label = next(k for k in data if k.startswith("label|$.classification") and k.endswith("|zh"))
    data[label] = "新名称"
    source = _form(text(post_form(client, DESIGN, data | {"action": "apply"},
                                  page=DESIGN)))["source"]
    scores = _at(source, map_path)["map"]
    assert scores.get("yes") == 6 and len(scores) == len(_at(data["source"], map_path)["map"])
    assert _at(source, linear)["linear"]["to"] == 9
    split_path, axis = split.split("|")[1:]
    assert _at(source, split_path)[axis] == "p75"
    assert _at(source, label.split("|")[1])["zh"] == "新名称"
    comments = [line for line in data["source"].splitlines() if "#" in line]
    assert all(line.split("#", 1)[1] in source for line in comments), "comments are kept"


def test_tiers_get_a_new_tier_before_the_last_and_save(app, engine, world):
    from engine.definitions import drafts

    with transaction(engine) as session:
        drafts.create(session, "ruleset", "tiers_demo", "admin")
    client = _client(app)
    design = "/studio/ruleset/tiers_demo/design"
    page = text(client.get(design))
    assert 'name="str|$.classification.tiers[0].when"' in page
    data = _form(page) | {"op": "append|$.classification.tiers|tier"}
    body = text(post_form(client, design, data, page=design))
    tiers = _at(_form(body)["source"], "$.classification.tiers")
    assert [t["id"] for t in tiers] == ["key_account", "tier_3", "other"]
    saved = post_form(client, design, _form(body) | {"action": "save"}, page=design)
    assert saved.status_code == 303
    with transaction(engine) as session:
        latest = store.latest_version(session, store.get_definition(session, "ruleset",
                                                                    "tiers_demo"))
        assert [t["id"] for t in latest.content["classification"]["tiers"]][1] == "tier_3"


def test_removing_a_scored_metric_is_refused_at_the_item_that_scores_it(app, engine, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    latest = _versions(engine)[2]
    metric = re.search(r'<select[^>]*name="str\|\$\.axes\.[a-z_]+\.items\[0\]\.metric"[^>]*>'
                       r'.*?<option value="([a-z_]+)" selected', page, re.S).group(1)
    data = _form(page) | {"op": f"remove|$.metrics.{metric}", "action": "save"}
    response = post_form(client, DESIGN, data, page=DESIGN)
    assert response.status_code == 400
    body = text(response)
    assert f"unknown metric &#39;{metric}&#39;" in body
    assert re.search(r'<small class="field-error" id="f-axes-[a-z_]+-items-0-metric-err1">',
                     body), "the message is at the item's metric"
    assert _versions(engine)[2].number == latest.number


def test_a_draft_saved_meanwhile_is_not_overwritten(app, engine, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    key = _band_key(page)
    first = _form(page) | {f"{key}|points": "3", "action": "save"}
    assert post_form(client, DESIGN, first, page=DESIGN).status_code == 303
    stale = _form(page) | {f"{key}|points": "4", "action": "save"}       # opened before
    response = post_form(client, DESIGN, stale, page=DESIGN)
    assert response.status_code == 409
    assert "open the editor again" in text(response)
    assert _bands_of(_versions(engine)[2].source, key)[0]["points"] == 3


def test_the_yaml_editor_shows_the_saved_text_with_its_comments(app, engine, world):
    client = _client(app)
    page = text(client.get(DESIGN))
    key = _band_key(page)
    data = _form(page) | {f"{key}|points": "1", "action": "save"}
    assert post_form(client, DESIGN, data, page=DESIGN).status_code == 303
    yaml_page = html.unescape(text(client.get(f"/studio/ruleset/{RULESET}/edit")))
    saved = _versions(engine)[2].source
    assert saved in yaml_page
    commented = [line for line in data["source"].splitlines() if "#" in line]
    assert commented, "the world's ruleset has comments"
    assert commented == [line for line in saved.splitlines() if "#" in line]
