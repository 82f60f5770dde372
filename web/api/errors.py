"""JSON errors of the API: ``{"error": {"code": …, "message": …}}`` with the HTTP status, for
refusals raised on purpose, engine errors and HTTP errors (404 and 405 of unknown API paths
included, answered by an app-wide handler that leaves every other path to the HTML pages)."""
from __future__ import annotations

import datetime as dt
import json

from flask import current_app, request
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import Conflict, InvalidInput, NotFound
from web.api import bp

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media",
         422: "invalid", 429: "too_many_requests", 500: "server_error"}
MESSAGES = {400: "The request could not be understood.",
            401: "A valid bearer token is required (Authorization: Bearer …).",
            403: "Your role may not do this.",
            404: "Not found, or not visible to you.",
            405: "This path does not accept this method.",
            500: "Something went wrong on our side. It has been logged."}
# Input problems about how a request is formed rather than what it asks for.
MALFORMED_FIELDS = ("after", "limit", "sort")


def plain(value):
    """``value`` with dates and times as ISO 8601 text (Flask would write HTTP dates)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def respond(data, status: int = 200):
    """``data`` as a JSON response, UTF-8 text as it is (no ``\\uXXXX`` escapes)."""
    body = json.dumps(plain(data), ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, status=status, mimetype="application/json")


class ApiError(Exception):
    """A refusal with its status, code and message."""

    def __init__(self, status: int, message: str | None = None, code: str | None = None,
                 **details):
        super().__init__(message or MESSAGES.get(status, ""))
        self.status, self.message = status, message or MESSAGES.get(status, "")
        self.code = code or CODES.get(status, "error")
        self.details = details


def error_response(status: int, message: str, code: str | None = None, **details):
    body = {"code": code or CODES.get(status, "error"), "message": message, **details}
    response = respond({"error": body}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kamflow"'
    return response


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error.status, error.message, error.code, **error.details)


@bp.errorhandler(NotFound)
def not_found(error: NotFound):
    return error_response(404, str(error))


@bp.errorhandler(Conflict)
def conflict(error: Conflict):
    return error_response(409, str(error))


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput):
    problems = [{"field": (p.path or "").removeprefix("$."), "message": p.message}
                for p in error.problems]
    malformed = problems and all(p["field"] in MALFORMED_FIELDS for p in problems)
    message = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"]
                        for p in problems)
    return error_response(400 if malformed else 422, message or str(error), problems=problems)


@bp.errorhandler(InternalServerError)
def server_error(error: InternalServerError):
    return error_response(500, MESSAGES[500])


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    status = error.code or 500
    return error_response(status, MESSAGES.get(status) or error.description or "")


def _app_http_error(error: HTTPException):
    """404/405 of any path: JSON under ``/api/``, the app's HTML error page elsewhere."""
    if request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/"):
        return http_error(error)
    from web.errors import http_error as page_error

    return page_error(error)


@bp.record_once
def _register_app_handlers(state) -> None:
    for status in (404, 405):
        state.app.register_error_handler(status, _app_http_error)
