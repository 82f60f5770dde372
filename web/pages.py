"""What every template may use: the navigation, role labels, the static-file helper."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from web import assets, vocabulary
from web.accounts import ROLE_LABELS
from web.areas import areas_for


RUN_STATUS_LABELS = {"running": _l("running"), "completed": _l("completed"),
                     "failed": _l("failed")}
RUN_TRIGGER_LABELS = {"cli": _l("command line"), "scheduler": _l("schedule"), "web": _l("web")}
JOB_STATUS_LABELS = {"queued": _l("waiting for a worker"), "running": _l("running"),
                     "done": _l("done"), "failed": _l("failed")}
JOB_KIND_LABELS = {"evaluate": _l("Evaluation"), "dry_run": _l("Dry run"),
                   "import": _l("Data import")}


def init_app(app: Flask) -> None:
    assets.init_app(app)
    app.jinja_env.globals.update(role_labels=ROLE_LABELS, navigation=navigation,
                                 run_status_labels=RUN_STATUS_LABELS,
                                 run_trigger_labels=RUN_TRIGGER_LABELS,
                                 job_status_labels=JOB_STATUS_LABELS,
                                 job_kind_labels=JOB_KIND_LABELS,
                                 run_warning=vocabulary.run_warning,
                                 task_kind_label=vocabulary.task_kind,
                                 channel_label=vocabulary.channel,
                                 customer_type_label=vocabulary.customer_type)


def navigation():
    """The areas the signed-in user's role may enter (none when signed out)."""
    return areas_for(current_user.role) if current_user.is_authenticated else []
