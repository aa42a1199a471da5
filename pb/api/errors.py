"""One shape of error for everything under /api/: `{"error": {"status", "message"}}` as JSON.

pb/views_helpers.py sends every HTTP error and unexpected failure on an /api/ address here,
so a client of the API never gets the HTML error page.
"""

from __future__ import annotations

from flask import has_request_context, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

PREFIX = "/api/"
METHODS = ("GET", "HEAD", "OPTIONS")


class ApiError(Exception):
    """A request the API refuses, with the status and the reason the client is told."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def is_api_request() -> bool:
    return has_request_context() and request.path.startswith(PREFIX)


def default_message(status: int) -> str:
    messages = {
        400: _("The request was not understood."),
        404: _("There is nothing at this address. The API's addresses are described at "
               "/api/v1/openapi.json."),
        405: _("The API only reads: use GET."),
        413: _("The request is too large."),
        429: _("Too many requests: wait a minute, then try again."),
    }
    if status in messages:
        return messages[status]
    if status >= 500:
        return _("Sorry, something went wrong. Try again later.")
    return _("The request was not accepted.")


def error_response(status: int, message: str | None = None, headers: dict | None = None):
    response = jsonify(error={"status": status, "message": message or default_message(status)})
    response.status_code = status
    # An error may not last (a round's results get published): never keep it in a cache.
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException):
    """The JSON answer for an HTTP error raised on an /api/ address (no such route, POST...)."""
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(error.valid_methods or METHODS))
    return error_response(status, headers=headers)
