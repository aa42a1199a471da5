"""Schemathesis runs every operation of the OpenAPI document against the app, in process.

The document is fetched from the app itself (/api/v1/openapi.json) through the WSGI transport,
over a council with published, closed and open rounds, so the operations answer with real data
as well as with refusals. Every answer must: not be a server error, have a status code and a
content type the document lists, fit the schema the document gives it, and carry only the
headers it promises. Runs once per database backend, like every database test.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pb.api.openapi import document
from pb.extensions import db
from pb.services import rounds
from tests import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, negative_data_rejection]
# Few examples per operation keep the file at a few seconds per backend on a slow machine; CI
# (CI is set) draws them the same way every run, so a failure there reproduces.
EXAMPLES = int(os.environ.get("PB_SCHEMATHESIS_EXAMPLES", "40"))
CI = bool(os.environ.get("CI"))


def _world() -> None:
    """A council with rounds published, closed (under embargo), voting and taking proposals."""
    world = factories.counted_round(publish=True, slug="spring", equality=12)
    council, organiser = world.council, world.organiser
    closed = factories.round_(council, slug="summer", pot=500_00)
    factories.proposal(closed, world.partnership, "Planters", 200_00)
    rounds.open_voting(organiser, closed)
    rounds.close_voting(organiser, closed)
    factories.round_(council, slug="ideas", status="proposals")
    factories.round_(council, slug="hidden", status="draft")
    db.session.commit()


# Every operation the document lists, read from the document itself so a new route is covered
# as soon as it is documented. (schemathesis.pytest.from_fixture cannot run here: it sets
# pytest's private Node._nodeid, which pytest 9 no longer has; so this file draws the cases
# from each operation's strategy itself.)
OPERATIONS = [(method.upper(), path) for path, item in document()["paths"].items()
              for method in item if method in ("get", "post", "put", "patch", "delete")]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture
def api_schema(app):
    _world()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=CI)
    return schema


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_keeps_to_the_document(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=CI, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()
