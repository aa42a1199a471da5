"""Participatory budgeting: proposals, voting, and exact, explained tallies.

Kept free of imports so that `pb.tally` and `pb tally` start without loading the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Create the web application; `config` overrides settings read from the environment."""
    from .app import create_app as build

    return build(config)
