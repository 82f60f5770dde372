"""``/studio``: definitions in the browser (admins only, issue 11). The home lists every form,
ruleset and workflow and makes new ones; a definition's page shows its history, diffs,
publish and rollback; the YAML editor saves drafts checked like ``pack import``; a draft
ruleset can be previewed as a dry run."""
from __future__ import annotations

from flask import Blueprint, abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from engine import access
from engine.models.definitions import DEFINITION_KINDS

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.before_request
def _admins_only():
    """Every studio route is an admin's: sign in first, then 403 for any other role."""
    from web.accounts import login_manager

    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(access.ADMIN):
        abort(403)
    return None


def flash_saved(number: int, before: int) -> None:
    """What a save of a draft did: nothing (the same text as version ``before``) or a new
    version ``number``, with the published version untouched."""
    if number == before:
        flash(_("Nothing changed: the text is the same as version %(n)d.", n=number), "info")
    else:
        flash(_("Draft saved as version %(n)d. The published version is unchanged.", n=number),
              "success")


def known_kind(kind: str) -> str:
    if kind not in DEFINITION_KINDS:
        abort(404)
    return kind


from web.studio import (  # noqa: E402,F401  (the routes)
    definition, editor, form_designer, golden, home, packs, preview, ruleset_editor,
    workflow_editor)
