from flask import Blueprint

bp = Blueprint("results", __name__)

from . import views  # noqa: E402,F401
from . import live  # noqa: E402,F401
from . import downloads  # noqa: E402,F401
