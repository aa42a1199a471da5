from flask import Blueprint

bp = Blueprint("vote", __name__)

from . import kiosk, views  # noqa: E402,F401
