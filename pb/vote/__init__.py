from flask import Blueprint

bp = Blueprint("vote", __name__)

from . import eligibility, views  # noqa: E402,F401
