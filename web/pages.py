"""What every template may use: the navigation, role labels, the static-file helper."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from web import assets
from web.accounts import ROLE_LABELS
from web.areas import areas_for


def init_app(app: Flask) -> None:
    assets.init_app(app)
    app.jinja_env.globals.update(role_labels=ROLE_LABELS, navigation=navigation)


def navigation():
    """The areas the signed-in user's role may enter (none when signed out)."""
    return areas_for(current_user.role) if current_user.is_authenticated else []
