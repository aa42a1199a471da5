from flask import Blueprint

bp = Blueprint("vote", __name__)

from . import eligibility, kiosk, views  # noqa: E402,F401
