"""The read-only JSON API (/api/v1): what it lists, the embargo on results, its errors, and
that its OpenAPI document is well formed and describes every answer the API gives.

The document is checked by openapi-spec-validator and by a structural check of this file's
own; every answer is validated with jsonschema and with a small validator that knows exactly
the keywords the document uses (and refuses a document that uses any other).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from pb.api.openapi import document
from pb.extensions import db
from pb.models import Council
from pb.models.user import ORGANISER
from tests import factories
from tests.functional.helpers import login

import jsonschema
from openapi_spec_validator import validate as validate_openapi

DOC = document()
NOT_PUBLISHED = {"error": {"status": 404,
                           "message": "The results of this round are not published yet."}}

# Ballots of the counted round: (projects chosen, way of voting, postcode district).
BALLOTS = [
    (["Allotment", "Bus shelter"], "online", "SK10"),
    (["Allotment", "Bus shelter"], "online", "SK10"),
    (["Allotment", "Community fridge"], "kiosk", None),
    (["Community fridge"], "paper", None),
    (["Bus shelter"], "online", "SK11"),
    (["Allotment"], "online", "SK11"),
]


# --- A small JSON Schema (2020-12) validator for the keywords the document uses -------------

VALIDATING = {"$ref", "type", "enum", "const", "properties", "required",
              "additionalProperties", "items", "oneOf", "anyOf", "minimum", "maximum",
              "minLength", "pattern", "format"}
ANNOTATING = {"description", "examples", "default", "title"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def resolve(ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = DOC
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _is(value, type_name: str) -> bool:
    if type_name in ("integer", "number"):
        if isinstance(value, bool):
            return False
        return isinstance(value, int) if type_name == "integer" else isinstance(value, (int, float))
    return isinstance(value, TYPES[type_name])


def _same(a, b) -> bool:
    """JSON equality: true is not 1."""
    return type(a) is type(b) and a == b


def _format_ok(value, fmt: str) -> bool:
    if not isinstance(value, str):
        return True
    if fmt == "date-time":
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return False
        return "T" in value and when.tzinfo is not None
    if fmt == "uri":
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)
    raise AssertionError(f"unknown format {fmt}")


def schema_errors(value, schema: dict, where: str = "$") -> list[str]:
    unknown = set(schema) - VALIDATING - ANNOTATING
    assert not unknown, f"{where}: the schema uses keywords this test does not check: {unknown}"
    errors: list[str] = []
    if "$ref" in schema:
        errors += schema_errors(value, resolve(schema["$ref"]), where)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, t) for t in types):
            return errors + [f"{where}: {value!r} is not of type {types}"]
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "const" in schema and not _same(value, schema["const"]):
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "format" in schema and not _format_ok(value, schema["format"]):
        errors.append(f"{where}: {value!r} is not a {schema['format']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} > {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: {value!r} is too short")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}: {name!r} is missing")
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(item, properties[name], f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: {name!r} is not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(item, schema["additionalProperties"], f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{i}]")
    if "oneOf" in schema:
        fits = [s for s in schema["oneOf"] if not schema_errors(value, s, where)]
        if len(fits) != 1:
            errors.append(f"{where}: {value!r} fits {len(fits)} of oneOf, not exactly 1")
    if "anyOf" in schema and all(schema_errors(value, s, where) for s in schema["anyOf"]):
        errors.append(f"{where}: {value!r} fits none of anyOf")
    return errors


def validate(value, schema: dict) -> list[str]:
    errors = schema_errors(value, schema)
    if jsonschema is not None:
        validator = jsonschema.Draft202012Validator(
            {**DOC, **schema}, format_checker=jsonschema.FormatChecker())
        errors += [f"jsonschema: {e.message}" for e in validator.iter_errors(value)]
    return errors


# --- Every answer must be what the document promises -----------------------------------------


def operation_for(path: str, method: str) -> tuple[str, dict] | None:
    if not path.startswith("/api/v1/"):
        return None
    tail = path[len("/api/v1"):]
    for template, item in DOC["paths"].items():
        pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, tail) and method.lower() in item:
            return template, item[method.lower()]
    return None


def conform(response, path: str, method: str = "GET") -> None:
    """The answer is JSON, open to any origin, and fits the schema the document gives it."""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    if method == "HEAD" or method == "OPTIONS":
        return
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    found = operation_for(path, method)
    if found is None:  # no such address or method: the document's NotFound or
        name = {404: "NotFound", 405: "MethodNotAllowed"}[response.status_code]
        answer = resolve(f"#/components/responses/{name}")
    else:
        template, operation = found
        answers = operation["responses"]
        assert str(response.status_code) in answers, (
            f"{method} {template} answered {response.status_code}, which the document does "
            "not list")
        answer = answers[str(response.status_code)]
        answer = resolve(answer["$ref"]) if "$ref" in answer else answer
    schema = answer["content"]["application/json"]["schema"]
    errors = validate(response.get_json(), schema)
    assert not errors, "\n".join(errors)


class Api:
    """The test client, checking every answer against the OpenAPI document."""

    def __init__(self, client):
        self.client = client

    def request(self, method: str, url: str, **kwargs):
        response = self.client.open(url, method=method, **kwargs)
        conform(response, urlsplit(url).path, method)
        return response

    def get(self, url: str, **kwargs):
        return self.request("GET", url, **kwargs)


@pytest.fixture
def api(client):
    return Api(client)


def counted(publish: bool, equality: int = 0):
    return factories.counted_round(publish=publish, ballots=BALLOTS, equality=equality)


# --- GET /rounds -------------------------------------------------------------------------------


def test_list_shows_every_round_but_drafts_and_links_results_only_once_published(app, api):
    world = counted(publish=True)
    council = world.council
    for slug, status in (("draft-one", "draft"), ("taking", "proposals"),
                         ("voting-now", "voting"), ("closed-one", "closed")):
        factories.round_(council, slug=slug, status=status)
    db.session.commit()

    body = api.get("/api/v1/rounds").get_json()

    listed = {r["slug"]: r for r in body["rounds"]}
    assert set(listed) == {"spring", "taking", "voting-now", "closed-one"}
    assert body["total"] == 4
    spring = listed["spring"]
    assert spring["results_published"] is True
    assert spring["pot"] == world.round.pot
    assert spring["council"] == {"slug": council.slug, "name": council.name}
    assert spring["ballot_type"] == "approval" and spring["rule"]["name"] == "greedy"
    assert spring["dates"]["published_at"] == world.round.published_at.isoformat()
    assert urlsplit(spring["links"]["results"]).path == "/api/v1/rounds/spring/results"
    assert urlsplit(spring["links"]["page"]).path == "/rounds/spring"
    for slug in ("taking", "voting-now", "closed-one"):
        assert listed[slug]["results_published"] is False
        assert listed[slug]["links"]["results"] is None
        assert listed[slug]["links"]["results_page"] is None
    # The list never carries a count, published or not.
    assert '"votes"' not in json.dumps(body) and '"spent"' not in json.dumps(body)
    # The results link works.
    assert api.get(urlsplit(spring["links"]["results"]).path).status_code == 200


def test_list_filters_by_council_and_status(app, api):
    world = counted(publish=False)
    other = Council(name="Other Council", slug="other")
    db.session.add(other)
    factories.round_(other, slug="elsewhere", status="voting")
    factories.round_(world.council, slug="hidden", status="draft")
    db.session.commit()

    def slugs(query):
        return [r["slug"] for r in api.get(f"/api/v1/rounds?{query}").get_json()["rounds"]]

    assert slugs("council=other") == ["elsewhere"]
    assert slugs("council=test-council") == ["spring"]
    assert slugs("status=voting") == ["elsewhere"]
    assert slugs("status=closed&council=test-council") == ["spring"]
    assert slugs("status=published") == []
    assert slugs("council=&status=") == ["elsewhere", "spring"]  # empty means no filter


def test_list_pages_follow_next_and_prev_links(app, api):
    world = counted(publish=True)
    for n in range(4):
        factories.round_(world.council, slug=f"round-{n}", status="proposals")
    db.session.commit()

    first = api.get("/api/v1/rounds?limit=2").get_json()
    assert first["total"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert first["links"]["prev"] is None
    seen, page = [], first
    while True:
        seen += [r["slug"] for r in page["rounds"]]
        if page["links"]["next"] is None:
            break
        next_url = urlsplit(page["links"]["next"])
        page = api.get(f"{next_url.path}?{next_url.query}").get_json()
        assert page["links"]["prev"] is not None
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == {"spring", "round-0", "round-1", "round-2", "round-3"}
    assert api.get("/api/v1/rounds?offset=5").get_json()["rounds"] == []


# --- GET /rounds/<slug>/results ------------------------------------------------------------------


def test_published_results_are_the_stored_count(app, api):
    world = counted(publish=True)
    stored = world.result

    response = api.get("/api/v1/rounds/spring/results")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["budget"], body["spent"], body["remaining"], body["ballots"]) == (
        stored.budget, stored.spent, stored.budget - stored.spent, stored.ballot_count)
    assert body["ballots_sha256"] == stored.ballots_sha256
    assert body["rule"]["name"] == stored.rule and body["tie_break"] == stored.tie_break
    want = [(p["id"], p["votes"], p["award"] if p["selected"] else 0, p["selected"], p["cost"])
            for p in stored.data["projects"]]
    got = [(p["id"], p["votes"], p["award"], p["funded"], p["cost"]) for p in body["projects"]]
    assert got == want
    titles = {str(p.id): title for title, p in world.projects.items()}
    assert {p["id"]: p["title"] for p in body["projects"]} == titles
    # Votes as cast: each project's votes are the ballots that chose it.
    chosen = Counter(t for titles_, _, _ in BALLOTS for t in titles_)
    assert {p["title"]: p["votes"] for p in body["projects"]} == dict(chosen)
    assert body["turnout"] == {
        "total": len(BALLOTS),
        "by_channel": dict(Counter(channel for _, channel, _ in BALLOTS)),
        "by_area": dict(Counter(district or "not-given" for _, _, district in BALLOTS)),
    }
    assert body["equality"] is None  # this round did not ask the questions


def test_published_equality_totals_hide_groups_under_ten(app, api):
    counted(publish=True, equality=12)  # ages: 9 aged 25-34, 3 aged 75+

    equality = api.get("/api/v1/rounds/spring/results").get_json()["equality"]

    questions = {q["key"]: {g["key"]: g for g in q["groups"]} for q in equality["questions"]}
    assert equality["suppressed_below"] == 10
    age = questions["age_band"]
    assert age["25-34"]["count"] is None and age["75-plus"]["count"] is None
    assert age["25-34"]["shown"] == "fewer than 10"
    assert age["16-24"]["count"] == 0
    assert questions["ethnicity"]["not-given"]["count"] == 12
    shown_counts = [g["count"] for q in questions.values() for g in q.values()]
    assert not any(count is not None and 0 < count < 10 for count in shown_counts)


@pytest.mark.parametrize("as_organiser", [False, True], ids=["anonymous", "organiser"])
def test_results_are_embargoed_until_published(app, api, client, as_organiser):
    world = counted(publish=False, equality=12)
    if as_organiser:
        login(client, "organiser@example.org")
        # The organiser is logged in: the results page shows them the count as a preview...
        assert client.get("/results/spring").status_code == 200

    response = api.get("/api/v1/rounds/spring/results")

    # ...but the API answers the same to everyone, with no count anywhere.
    assert response.status_code == 404
    assert response.get_json() == NOT_PUBLISHED
    text = response.get_data(as_text=True)
    for project in world.result.data["projects"]:
        assert project["name"] not in text
    listed = api.get("/api/v1/rounds").get_json()["rounds"]
    assert [(r["slug"], r["results_published"], r["links"]["results"]) for r in listed] == [
        ("spring", False, None)]


def test_results_become_visible_once_published(app, api):
    from pb.services import rounds

    world = counted(publish=False)
    assert api.get("/api/v1/rounds/spring/results").status_code == 404
    rounds.publish_results(world.organiser, world.round)
    db.session.commit()
    assert api.get("/api/v1/rounds/spring/results").status_code == 200


@pytest.mark.parametrize("status", ["proposals", "review", "voting"])
def test_results_of_a_round_before_its_count_are_not_published(app, api, status):
    council, _ = factories.council_with_partnerships(["North"])
    factories.round_(council, slug="early", status=status)
    db.session.commit()
    response = api.get("/api/v1/rounds/early/results")
    assert response.status_code == 404 and response.get_json() == NOT_PUBLISHED


def test_a_draft_round_is_as_unknown_as_no_round(app, api):
    council, _ = factories.council_with_partnerships(["North"])
    factories.user(council, "organiser@example.org", ORGANISER)
    factories.round_(council, slug="secret", status="draft")
    db.session.commit()
    login(api.client, "organiser@example.org")

    draft = api.get("/api/v1/rounds/secret/results")
    unknown = api.get("/api/v1/rounds/nothing/results")

    assert draft.status_code == unknown.status_code == 404
    assert draft.get_json()["error"]["message"] == (
        unknown.get_json()["error"]["message"].replace("nothing", "secret"))
    assert api.get("/api/v1/rounds").get_json()["rounds"] == []


@pytest.mark.parametrize("slug", ["nothing", "%00", "a" * 300, "%C5%B4y", "%FF"],
                         ids=["unknown", "nul", "long", "welsh", "bad-utf8"])
def test_an_unknown_round_is_404_json(app, api, slug):
    response = api.get(f"/api/v1/rounds/{slug}/results")
    assert response.status_code == 404
    # A NUL is turned away before any view runs (pb/views_helpers.py), with the plain 404.
    assert response.get_json()["error"]["message"]
    if slug != "%00":
        assert "no public round" in response.get_json()["error"]["message"]


# --- Errors: never HTML, never a 500 -----------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/whatever", "/api/v1/rounds/spring", "/api/v1/",
                                 "/api/v1/rounds/", "/api/v2/rounds", "/api/v1/rounds/spring/x"])
def test_an_unknown_address_is_404_json(app, api, url):
    counted(publish=True)
    response = api.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
    assert "openapi.json" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/api/v1/rounds", "/api/v1/rounds/spring/results",
                                 "/api/v1/openapi.json"])
def test_the_api_only_reads(app, api, method, url):
    counted(publish=True)
    response = api.request(method, url, data={"status": "draft"})
    assert response.status_code == 405
    assert response.get_json() == {"error": {"status": 405,
                                             "message": "The API only reads: use GET."}}
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_a_post_with_csrf_protection_on_is_405_not_a_form_error(csrf_app):
    response = csrf_app.test_client().post("/api/v1/rounds")
    conform(response, "/api/v1/rounds", "POST")
    assert response.status_code == 405


@pytest.mark.parametrize("query, word", [
    ("status=draft", "draft"),
    ("status=finished", "finished"),
    ("council=nowhere", "nowhere"),
    ("council=%00", "council"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=ten", "limit"),
    ("limit=%D9%A3", "limit"),  # an Arabic-Indic digit: isdigit() but not a number we take
    ("offset=-1", "offset"),
    ("status=voting&status=closed", "status"),
    ("councl=test-council", "councl"),
    ("lang=fr", "lang"),  # the pages ignore a language they lack; the API refuses it
], ids=lambda value: value if "=" in value else None)
def test_a_bad_filter_is_400_with_the_reason(app, api, query, word):
    counted(publish=True)
    response = api.get(f"/api/v1/rounds?{query}")
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert word in message
    assert "Allotment" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/v1/rounds/spring/results?format=csv",
                                 "/api/v1/openapi.json?x=1"])
def test_routes_without_parameters_refuse_them(app, api, url):
    counted(publish=True)
    response = api.get(url)
    assert response.status_code == 400
    assert "does not take the parameter" in response.get_json()["error"]["message"]


def test_an_unexpected_failure_is_500_json(app, api, monkeypatch):
    from pb.api import data

    def broken(query):
        raise RuntimeError("boom")

    monkeypatch.setattr(data, "public_rounds", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api.client.get("/api/v1/rounds")
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 500
    assert "boom" not in response.get_data(as_text=True)


# --- Headers -----------------------------------------------------------------------------------


def test_cache_and_cross_origin_headers(app, api):
    counted(publish=True)
    assert api.get("/api/v1/rounds").headers["Cache-Control"] == "public, max-age=60"
    results = api.get("/api/v1/rounds/spring/results")
    assert results.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Language" in results.headers["Vary"]
    assert api.get("/api/v1/rounds/x/results").headers["Cache-Control"] == "no-store"
    head = api.request("HEAD", "/api/v1/rounds/spring/results")
    assert head.status_code == 200 and head.get_data() == b""
    options = api.request("OPTIONS", "/api/v1/rounds")
    assert options.status_code == 200
    assert options.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_the_api_sets_no_cookie_even_when_a_language_is_chosen(app, api):
    counted(publish=True)
    # A fresh app context, as in a real request: the test's own context would keep the locale
    # the factories already chose in `g`, and the language choice would never be stored.
    with app.app_context():
        response = api.get("/api/v1/rounds?lang=cy")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # conform() checks this on every answer too


# --- The OpenAPI document ----------------------------------------------------------------------

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _schemas(schema: dict):
    """A schema and every schema inside it."""
    yield schema
    for sub in schema.get("properties", {}).values():
        yield from _schemas(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _schemas(schema[key])
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, []):
            yield from _schemas(sub)


def _deref(node: dict) -> dict:
    return resolve(node["$ref"]) if "$ref" in node else node


def openapi_problems(doc: dict) -> list[str]:
    """What makes `doc` not a valid OpenAPI 3.1 document, as far as this API uses it."""
    problems = []
    if not re.fullmatch(r"3\.1\.\d+", str(doc.get("openapi"))):
        problems.append("openapi must be 3.1.x")
    info = doc.get("info", {})
    if not (isinstance(info.get("title"), str) and isinstance(info.get("version"), str)):
        problems.append("info needs a title and a version")
    if "identifier" in info.get("license", {}) and "url" in info.get("license", {}):
        problems.append("license: identifier and url exclude each other")
    unknown_top = set(doc) - {"openapi", "info", "jsonSchemaDialect", "servers", "paths",
                              "webhooks", "components", "security", "tags", "externalDocs"}
    if unknown_top:
        problems.append(f"unknown top-level fields {unknown_top}")
    for ref in _refs(doc):
        try:
            resolve(ref)
        except (KeyError, AssertionError):
            problems.append(f"unresolved $ref {ref}")
    operation_ids = []
    for template, item in doc.get("paths", {}).items():
        if not template.startswith("/"):
            problems.append(f"path {template} must start with /")
        for method, operation in item.items():
            if method not in METHODS:
                if method not in {"summary", "description", "parameters", "servers", "$ref"}:
                    problems.append(f"{template}: unknown field {method}")
                continue
            operation_ids.append(operation.get("operationId"))
            parameters = [_deref(p) for p in operation.get("parameters", [])]
            for p in parameters:
                if p.get("in") not in {"query", "header", "path", "cookie"} or not p.get("name"):
                    problems.append(f"{template}: bad parameter {p}")
                if "schema" not in p:
                    problems.append(f"{template}: parameter {p.get('name')} has no schema")
            in_path = {p["name"] for p in parameters if p.get("in") == "path"}
            for name in re.findall(r"\{([^}]+)\}", template):
                if name not in in_path:
                    problems.append(f"{template}: path parameter {name} not declared")
            for p in parameters:
                if p.get("in") == "path" and p.get("required") is not True:
                    problems.append(f"{template}: path parameter {p['name']} must be required")
            responses = operation.get("responses", {})
            if not any(code.startswith("2") for code in responses):
                problems.append(f"{template} {method}: no success response")
            for code, answer in responses.items():
                if not re.fullmatch(r"[1-5](\d\d|XX)|default", code):
                    problems.append(f"{template} {method}: bad status {code}")
                if "description" not in _deref(answer):
                    problems.append(f"{template} {method} {code}: no description")
    if len(operation_ids) != len(set(operation_ids)) or None in operation_ids:
        problems.append(f"operationIds must be unique and present: {operation_ids}")
    return problems


def _all_schemas(doc: dict):
    yield from doc["components"]["schemas"].values()
    for item in doc["paths"].values():
        for operation in item.values():
            for p in operation.get("parameters", []):
                yield _deref(p)["schema"]
    for answer in doc["components"]["responses"].values():
        for media in answer.get("content", {}).values():
            yield media["schema"]


def test_the_openapi_document_is_served_and_well_formed(app, api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    assert served == json.loads(json.dumps(DOC))
    validate_openapi(served)  # raises on any error
    assert openapi_problems(served) == []
    for schema in _all_schemas(served):
        for sub in _schemas(schema):
            assert not set(sub) - VALIDATING - ANNOTATING, sub
            if sub.get("additionalProperties") is False:
                assert set(sub.get("required", [])) <= set(sub.get("properties", {})), sub


def test_the_structural_check_finds_a_broken_document():
    broken = document()
    broken["openapi"] = "3.0.3"
    del broken["paths"]["/rounds/{slug}/results"]["get"]["parameters"][0]
    broken["paths"]["/rounds"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] = {"$ref": "#/components/schemas/Nope"}
    problems = openapi_problems(broken)
    assert any("3.1" in p for p in problems)
    assert any("slug not declared" in p for p in problems)
    assert any("Nope" in p for p in problems)


def test_the_document_names_exactly_the_routes_the_app_has(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            template = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
            routes |= {(template, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(template, method) for template, item in DOC["paths"].items()
                  for method in item if method in METHODS}
    assert routes == documented


def test_the_documents_examples_fit_its_schemas():
    examples = 0
    for item in DOC["paths"].values():
        for operation in item.values():
            for answer in operation["responses"].values():
                for media in _deref(answer).get("content", {}).values():
                    if "example" in media:
                        examples += 1
                        assert validate(media["example"], media["schema"]) == []
    for answer in DOC["components"]["responses"].values():
        for media in answer["content"].values():
            examples += 1
            assert validate(media["example"], media["schema"]) == []
    assert examples >= 5


def test_the_schema_check_refuses_what_the_document_does_not_promise(app, api):
    """The conformance checks above can fail: a changed answer no longer fits."""
    counted(publish=True)
    good = api.get("/api/v1/rounds/spring/results").get_json()
    schema = {"$ref": "#/components/schemas/Results"}
    assert validate(good, schema) == []
    cases = {
        "votes as text": lambda b: b["projects"][0].update(votes="3"),
        "an unknown field": lambda b: b.update(secret=1),
        "missing budget": lambda b: b.pop("budget"),
        "money as a float": lambda b: b.update(spent=1.5),
        "funded as 1": lambda b: b["projects"][0].update(funded=1),
        "unpublished": lambda b: b.update(published=False),
        "bad date": lambda b: b["round"].update(published_at="yesterday"),
        "bad score": lambda b: b["projects"][0].update(score="3.5"),
    }
    for name, change in cases.items():
        body = json.loads(json.dumps(good))
        change(body)
        assert validate(body, schema), name
    round_list = api.get("/api/v1/rounds").get_json()
    round_list["rounds"][0]["votes"] = 3
    assert validate(round_list, {"$ref": "#/components/schemas/RoundList"})
