from flask import Blueprint

bp = Blueprint("organise", __name__)

from . import codes, paper, partnerships, rounds, views  # noqa: E402,F401
from . import audit, whatif  # noqa: E402,F401
