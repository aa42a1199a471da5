from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401
from . import invitations, registration  # noqa: E402,F401
