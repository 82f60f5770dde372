"""Error pages in the user's language (the API will answer JSON for its own paths)."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your role may not do this.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    413: (_l("Too large"), _l("The upload is larger than the server accepts.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Server error"), _l("Something went wrong on our side. It has been logged.")),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, http_error)


def render_error(status: int, message=None):
    title, default = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    return render_template("errors/error.html", status=status, title=title,
                           message=message or default), status


def csrf_error(error: CSRFError):
    return render_error(400, _l("The form has expired or did not come from this site. "
                                "Reload the page and try again."))


def http_error(error: HTTPException):
    return render_error(error.code or 500)
