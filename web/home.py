"""``/``: the home page of the signed-in user's role (SPEC §5.1): a rep's tasks for today, a
manager's team picture and approvals, an admin's runs and their warnings."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from engine import access, home_figures
from engine.access import Viewer
from engine.definitions.published import published_specs
from engine.imports.uploads import history as import_history
from engine.overrides import local_today
from web.admin_imports import KIND_LABELS as IMPORT_KINDS
from web.areas import areas_for
from web.database import get_engine

bp = Blueprint("home", __name__)
LATEST_IMPORTS = 5


def segment_styles(rulesets) -> dict[str, dict[str, object]]:
    """ruleset id → segment id → its spec (label, color), from the published rulesets."""
    return {spec.id: {segment.id: segment for segment in spec.segments} for spec in rulesets}


@bp.get("/")
@login_required
def index():
    viewer = Viewer.of(current_user)
    today = local_today()
    figures = {}
    with Session(get_engine()) as session:
        connection = session.connection()
        if viewer.role != access.ADMIN:
            figures["tasks"] = home_figures.task_figures(connection, viewer, today)
        if viewer.role in access.DECIDES_CHALLENGES:
            figures["pictures"] = home_figures.segment_pictures(connection, viewer)
            figures["overdue"] = home_figures.overdue_by_member(connection, viewer, today)
            figures["pending"] = home_figures.pending_challenges(connection, viewer)
            rulesets = published_specs(session, "ruleset")      # parsed once per page
            figures["segments"] = segment_styles(rulesets)
            figures["ruleset_titles"] = {spec.id: spec.title for spec in rulesets}
        if viewer.is_admin:
            figures["runs"] = home_figures.latest_runs(connection)
            figures["imports"] = import_history(session, LATEST_IMPORTS)[0]
            figures["import_kind_labels"] = IMPORT_KINDS
    return render_template("home.html", areas=areas_for(current_user.role), today=today,
                           **figures)
