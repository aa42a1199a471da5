from flask import Blueprint

bp = Blueprint("organise", __name__)

from . import views  # noqa: E402,F401
from . import partnerships  # noqa: E402,F401
