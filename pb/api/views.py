"""GET-only routes of the API; every answer is JSON, readable from any origin."""

from __future__ import annotations

from flask import jsonify, request, session

from . import bp, data, openapi
from .errors import METHODS, ApiError, error_response, is_api_request

# Seconds a shared cache may keep an answer: the list changes as rounds move on; a published
# result does not change, but a re-publication after a recount must show within minutes.
LIST_MAX_AGE = 60
RESULTS_MAX_AGE = 300


def _json(body: dict, max_age: int):
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/rounds")
def list_rounds():
    """List the rounds the public may see, with filters and a page."""
    query = data.parse_round_query(request.args)
    rounds_, total = data.public_rounds(query)
    return _json({"rounds": [data.round_summary(r) for r in rounds_], "total": total,
                  "limit": query.limit, "offset": query.offset,
                  "links": data.page_links(query, total)}, LIST_MAX_AGE)


@bp.get("/rounds/<slug>/results")
def round_results(slug: str):
    """Show a round's published result, or 404 while it is under embargo."""
    data.check_params(request.args, ())
    round_ = data.find_public_round(slug)
    return _json(data.results_body(round_), RESULTS_MAX_AGE)


@bp.get("/openapi.json")
def openapi_document():
    """Show the OpenAPI document that describes this API."""
    data.check_params(request.args, ())
    return _json(openapi.document(), RESULTS_MAX_AGE)


@bp.errorhandler(ApiError)
def _refused(error: ApiError):
    return error_response(error.status, error.message)


@bp.after_app_request
def _api_headers(response):
    """Open every API answer, errors included, to pages on other sites; keep no session."""
    if not is_api_request():
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
    # Labels and reasons are in the language asked for (?lang=, the Accept-Language header).
    response.vary.add("Accept-Language")
    # ?lang= would store the choice in the session cookie: the API sets no cookie.
    session.modified = False
    return response
