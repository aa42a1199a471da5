"""What a resident's browser session holds while voting: one place for the keys and the shape.

Every way of voting (code, email link, postcode, kiosk) starts a ballot with `start_ballot`;
the ballot pages in pb.vote.views fill it in and send it.
"""

from __future__ import annotations

from flask import session

from ..models import VoterCredential

BALLOT = "ballot"  # {"credential": id, "marks": [[id, value], ...], "channel", "district"}
EQUALITY = "equality"  # round id, set once a ballot is cast in a round that asks the questions


def start_ballot(credential: VoterCredential, channel: str = "online",
                 district: str | None = None) -> None:
    """A fresh ballot for `credential`; answers owed from an earlier ballot are dropped."""
    session.pop(EQUALITY, None)
    session[BALLOT] = {"credential": credential.id, "marks": [], "channel": channel,
                       "district": district}
