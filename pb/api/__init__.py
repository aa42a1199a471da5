"""The read-only public JSON API, version 1: rounds and their published results.

Described by the OpenAPI document at /api/v1/openapi.json (pb/api/openapi.py). Every count
it shows comes through the embargo gate, `pb.services.results.public_result`: the API never
looks at who is logged in, so staff see exactly what the public sees.
"""

from flask import Blueprint

from .. import limits
from ..extensions import limiter

bp = Blueprint("api", __name__)
limiter.limit(limits.API_PER_IP)(bp)

from . import views  # noqa: E402,F401
