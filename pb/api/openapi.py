"""The OpenAPI 3.1 document of the API, written by hand; served at /api/v1/openapi.json.

Schemas are JSON Schema 2020-12 (the dialect of OpenAPI 3.1). tests/functional/test_api.py
checks the document's structure, that it names exactly the routes the app has, that its
examples fit its schemas, and that every answer the API gives fits the schema it promises.
"""

from __future__ import annotations

import copy

from ..models.round import BALLOT_TYPES, RULES
from .data import DATES, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, PUBLIC_STATUSES

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


MONEY = {"type": "integer", "minimum": 0,
         "description": "An amount in minor units of the round's currency (pence for GBP)."}
TEXT = {"type": "string"}
DATE = {"type": ["string", "null"], "format": "date-time",
        "description": "ISO 8601 date and time, in UTC; null if not set."}
COUNT = {"type": "integer", "minimum": 0}
URL = {"type": "string", "format": "uri"}


def _or_empty(schema: dict) -> dict:
    """A query parameter that may also be given empty, which is the same as leaving it out."""
    return {"anyOf": [schema, {"const": ""}]}


def _object(properties: dict, description: str = "", optional: tuple = ()) -> dict:
    """A closed object: every property listed is required unless named in `optional`."""
    schema = {"type": "object", "properties": properties,
              "required": [name for name in properties if name not in optional],
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


SCHEMAS: dict = {
    "Error": _object({
        "error": _object({
            "status": {"type": "integer", "minimum": 400, "maximum": 599,
                       "description": "The HTTP status, repeated."},
            "message": {"type": "string", "minLength": 1,
                        "description": "What was wrong, in plain words."},
        }),
    }, "Every refusal and failure: never a count, never an HTML page."),
    "Named": _object({"slug": TEXT, "name": TEXT}, "A council or partnership."),
    "Rule": _object({
        "name": {"type": "string", "examples": list(RULES)},
        "description": {"type": "string", "description": "The rule in plain words."},
    }),
    "Round": _object({
        "slug": TEXT,
        "title": TEXT,
        "council": _ref("Named"),
        "partnership": _nullable(_ref("Named")),
        "status": {"enum": list(PUBLIC_STATUSES)},
        "status_label": {"type": "string", "description": "The status in plain words."},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$",
                     "description": "ISO 4217 code."},
        "pot": MONEY,
        "ballot_type": {"enum": list(BALLOT_TYPES)},
        "rule": _ref("Rule"),
        "dates": _object({name: DATE for name in DATES},
                         "The published timetable, then when voting opened and closed and "
                         "when results were published."),
        "results_published": {"type": "boolean"},
        "links": _object({
            "page": URL,
            "results": {**_nullable(URL), "description": "This API's results; null until "
                        "the results are published."},
            "results_page": {**_nullable(URL), "description": "The results web page; null "
                             "until the results are published."},
        }),
    }, "A round the public may see (never a draft). Carries no counts."),
    "RoundList": _object({
        "rounds": {"type": "array", "items": _ref("Round")},
        "total": {**COUNT, "description": "Rounds matching the filters, on every page."},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "offset": COUNT,
        "links": _object({"self": URL, "next": _nullable(URL), "prev": _nullable(URL)}),
    }),
    "Project": _object({
        "id": {"type": "string", "description": "The project's id in the count and in the "
                                                "round's pabulib file."},
        "title": TEXT,
        "area": {"type": ["string", "null"]},
        "category": {"type": ["string", "null"]},
        "cost": MONEY,
        "votes": {**COUNT, "description": "Ballots that chose the project."},
        "score": {"oneOf": [COUNT, {"type": "string", "pattern": "^[0-9]+/[0-9]+$"}],
                  "description": "What the rule ranked by (votes or points): a whole number, "
                                 "or an exact fraction as text."},
        "funded": {"type": "boolean"},
        "award": {**MONEY, "description": "Money awarded; 0 if not funded."},
        "partial": {"type": "boolean", "description": "Funded for less than its cost."},
        "step": {"type": ["integer", "null"], "minimum": 1,
                 "description": "The step of the count that funded it; null if not funded."},
        "reason": _object({"code": TEXT, "text": {"type": "string", "description":
                                                  "Why it was or was not funded."}}),
    }),
    "Turnout": _object({
        "total": COUNT,
        "by_channel": {"type": "object", "additionalProperties": COUNT,
                       "description": "Ballots by way of voting (online, kiosk, paper, "
                                      "imported)."},
        "by_area": {"type": "object", "additionalProperties": COUNT,
                    "description": "Ballots by the postcode district voters gave; "
                                   "\"not-given\" for the rest."},
    }),
    "EqualityGroup": _object({
        "key": TEXT,
        "label": TEXT,
        "count": {"type": ["integer", "null"], "minimum": 0,
                  "description": "null when 1 to suppressed_below - 1 people gave this "
                                 "answer: such small groups are never shown."},
        "shown": {"type": "string", "description": "The count as a page shows it, e.g. "
                                                  "\"fewer than 10\"."},
    }),
    "Equality": _object({
        "suppressed_below": {"type": "integer", "minimum": 1},
        "questions": {"type": "array", "items": _object({
            "key": TEXT, "label": TEXT,
            "groups": {"type": "array", "items": _ref("EqualityGroup")},
        })},
    }, "Answers to the optional equality-monitoring questions."),
    "Results": _object({
        "round": _object({
            "slug": TEXT, "title": TEXT, "council": TEXT,
            "partnership": {"type": ["string", "null"]},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "ballot_type": {"enum": list(BALLOT_TYPES)},
            "status": {"const": "published"},
            "published_at": DATE,
        }),
        "published": {"const": True},
        "money_unit": TEXT,
        "budget": MONEY,
        "spent": MONEY,
        "remaining": MONEY,
        "ballots": {**COUNT, "description": "Ballots counted."},
        "turnout": _ref("Turnout"),
        "rule": _object({"name": TEXT, "description": TEXT,
                         "settings": {"type": "object"}}),
        "tie_break": {"type": "object", "description": "How ties were broken, with the "
                                                       "published seed."},
        "engine_version": TEXT,
        "ballots_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                           "description": "SHA-256 of the ballots counted, to check a "
                                          "recount."},
        "projects": {"type": "array", "items": _ref("Project"),
                     "description": "In the order the count considered them."},
        "equality": {**_nullable(_ref("Equality")),
                     "description": "null if the round did not ask the questions."},
        "links": _object({"self": URL, "round_page": URL, "results_page": URL}),
    }, "A published round's result. Money in minor units."),
}

_EXAMPLE_ROUND = {
    "slug": "spring",
    "title": "Spring round",
    "council": {"slug": "test-council", "name": "Test Council"},
    "partnership": {"slug": "north", "name": "North Partnership"},
    "status": "published",
    "status_label": "Results published",
    "currency": "GBP",
    "pot": 100000,
    "ballot_type": "approval",
    "rule": {"name": "greedy", "description": str(RULES["greedy"])},
    "dates": {**{name: None for name in DATES},
              "voting_opened_at": "2026-03-01T09:00:00+00:00",
              "voting_closed_at": "2026-03-15T17:00:00+00:00",
              "published_at": "2026-03-16T10:00:00+00:00"},
    "results_published": True,
    "links": {
        "page": "https://pb.example.org/rounds/spring",
        "results": "https://pb.example.org/api/v1/rounds/spring/results",
        "results_page": "https://pb.example.org/results/spring",
    },
}

_EXAMPLE_RESULTS = {
    "round": {"slug": "spring", "title": "Spring round", "council": "Test Council",
              "partnership": None, "currency": "GBP", "ballot_type": "approval",
              "status": "published", "published_at": "2026-03-16T10:00:00+00:00"},
    "published": True,
    "money_unit": "minor (pence for GBP)",
    "budget": 100000, "spent": 100000, "remaining": 0, "ballots": 5,
    "turnout": {"total": 5, "by_channel": {"online": 3, "kiosk": 1, "paper": 1},
                "by_area": {"SK10": 2, "SK11": 1, "not-given": 2}},
    "rule": {"name": "greedy", "description": str(RULES["greedy"]), "settings": {}},
    "tie_break": {"mode": "chain", "seed": "e373f98e1f970a70",
                  "order": ["lowest cost", "most votes", "lot"]},
    "engine_version": "1.0.0",
    "ballots_sha256": "2d9a30c3b48e40dde9b00fc4e24efeaeffb47371cf92d6a698dc6ea3ac94b8e0",
    "projects": [
        {"id": "2", "title": "Bus shelter", "area": None, "category": None, "cost": 40000,
         "votes": 3, "score": 3, "funded": True, "award": 40000, "partial": False, "step": 1,
         "reason": {"code": "funded", "text": "Funded in step 1 with 3 votes."}},
        {"id": "3", "title": "Community fridge", "area": None, "category": None,
         "cost": 10000, "votes": 2, "score": 2, "funded": False, "award": 0,
         "partial": False, "step": None,
         "reason": {"code": "over_budget", "text": "Needed £100 but only £0 was left."}},
    ],
    "equality": {"suppressed_below": 10, "questions": [
        {"key": "welsh_speaker", "label": "Do you speak Welsh?", "groups": [
            {"key": "yes", "label": "Yes", "count": None, "shown": "fewer than 10"},
            {"key": "no", "label": "No", "count": 12, "shown": "12"},
            {"key": "prefer-not", "label": "Prefer not to say", "count": 0, "shown": "0"},
            {"key": "not-given", "label": "Not answered", "count": 0, "shown": "0"},
        ]},
    ]},
    "links": {"self": "https://pb.example.org/api/v1/rounds/spring/results",
              "round_page": "https://pb.example.org/rounds/spring",
              "results_page": "https://pb.example.org/results/spring"},
}

_CACHE = {"description": "How long a shared cache may keep the answer.",
          "schema": {"type": "string"}}
_CORS = {"description": "Always `*`: any web page may read the API.",
         "schema": {"const": "*"}}


def _ok(description: str, schema: str, example: dict) -> dict:
    return {"description": description,
            "headers": {"Cache-Control": {"$ref": "#/components/headers/CacheControl"},
                        "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Cors"}},
            "content": {"application/json": {"schema": _ref(schema), "example": example}}}


def _error(description: str, status: int, message: str) -> dict:
    return {"description": description,
            "content": {"application/json": {
                "schema": _ref("Error"),
                "example": {"error": {"status": status, "message": message}}}}}


RESPONSES = {
    "BadRequest": _error("A parameter is unknown, repeated, or has a value the API does not "
                         "take; the message says which.", 400,
                         "“draft” is not a status the API shows. Choose one of: proposals, "
                         "review, voting, closed, published."),
    "NotFound": _error("No public round has this slug (drafts are not public), or its results "
                       "are not published yet. No count is ever given before publication.",
                       404, "The results of this round are not published yet."),
    "MethodNotAllowed": _error("The API only reads: any method but GET, HEAD and OPTIONS.",
                               405, "The API only reads: use GET."),
}

PARAMETERS = {
    "lang": {"name": "lang", "in": "query", "required": False,
             "description": "The language of labels, reasons and messages (else the "
                            "Accept-Language header).",
             "schema": _or_empty({"enum": ["en", "cy"]})},
}

# Any other method (POST, PUT, DELETE...) on any address answers 405 MethodNotAllowed, and
# an address the API does not have answers 404 NotFound: both with the Error schema.
_ERRORS = {"400": {"$ref": "#/components/responses/BadRequest"}}

_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Participatory budgeting: public results API",
        "version": VERSION,
        "summary": "Read-only: the public rounds and their published results.",
        "description": (
            "Every answer is JSON. Money is in integer minor units (pence for GBP). A round's "
            "results are shown only once the organisers publish them: until then the results "
            "address answers 404 and gives no count, whoever asks. Errors have the shape of "
            "the Error schema. Any address may take `lang` (en or cy). A parameter given "
            "empty is the same as one left out. Unknown or repeated parameters, and a `lang` "
            "other than en or cy, are refused with 400, so that a mistyped filter is never ignored. Any "
            "method but GET, HEAD and OPTIONS answers 405, and an address the API does not "
            "have answers 404, both as an Error."),
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/rounds": {
            "get": {
                "operationId": "listRounds",
                "summary": "The rounds the public may see",
                "description": "Every round but drafts, newest first. No counts: follow "
                               "`links.results` of a round whose results are published.",
                "parameters": [
                    {"name": "council", "in": "query", "required": False,
                     "description": "Only this council's rounds (the council's slug).",
                     "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "required": False,
                     "description": "Only rounds with this status.",
                     "schema": _or_empty({"enum": list(PUBLIC_STATUSES)})},
                    {"name": "limit", "in": "query", "required": False,
                     "description": "Rounds on one page.",
                     "schema": _or_empty({"type": "integer", "minimum": 1,
                                          "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})},
                    {"name": "offset", "in": "query", "required": False,
                     "description": "Rounds to skip before the page begins.",
                     "schema": _or_empty({"type": "integer", "minimum": 0,
                                          "maximum": MAX_OFFSET, "default": 0})},
                    {"$ref": "#/components/parameters/lang"},
                ],
                "responses": {
                    "200": _ok("One page of rounds.", "RoundList", {
                        "rounds": [_EXAMPLE_ROUND], "total": 1, "limit": DEFAULT_LIMIT,
                        "offset": 0,
                        "links": {"self": "https://pb.example.org/api/v1/rounds?limit=100"
                                          "&offset=0", "next": None, "prev": None}}),
                    **_ERRORS,
                },
            },
        },
        "/rounds/{slug}/results": {
            "get": {
                "operationId": "getRoundResults",
                "summary": "A round's published result",
                "description": "The count as published: budget, spending, every project's "
                               "votes, award and the reason it was or was not funded, "
                               "turnout, and the equality totals with small groups "
                               "suppressed.",
                "parameters": [
                    {"name": "slug", "in": "path", "required": True,
                     "description": "The round's slug.", "schema": {"type": "string"}},
                    {"$ref": "#/components/parameters/lang"},
                ],
                "responses": {
                    "200": _ok("The published result.", "Results", _EXAMPLE_RESULTS),
                    "404": {"$ref": "#/components/responses/NotFound"},
                    **_ERRORS,
                },
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "parameters": [{"$ref": "#/components/parameters/lang"}],
                "responses": {
                    "200": {"description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}}},
                    **_ERRORS,
                },
            },
        },
    },
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
        "headers": {"CacheControl": _CACHE, "Cors": _CORS},
    },
}


def document() -> dict:
    """A fresh copy of the document, safe to change."""
    return copy.deepcopy(_DOCUMENT)
