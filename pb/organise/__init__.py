from flask import Blueprint

bp = Blueprint("organise", __name__)

from . import codes, partnerships, rounds, views  # noqa: E402,F401
