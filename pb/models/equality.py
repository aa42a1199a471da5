"""Optional equality-monitoring answers, kept apart from ballots so the two cannot be joined.

A response has a random key (no sequence that follows the order of ballots), no time, no
credential and no ballot: only the round and the answers. Every question may be skipped or
answered "prefer not to say".
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

PREFER_NOT = "prefer-not"

QUESTIONS = {
    "age_band": (_l("How old are you?"), {
        "under-16": _l("Under 16"), "16-24": _l("16 to 24"), "25-34": _l("25 to 34"),
        "35-44": _l("35 to 44"), "45-54": _l("45 to 54"), "55-64": _l("55 to 64"),
        "65-74": _l("65 to 74"), "75-plus": _l("75 or over"),
    }),
    "sex": (_l("What is your sex?"), {
        "female": _l("Female"), "male": _l("Male"), "other": _l("I describe it another way"),
    }),
    "ethnicity": (_l("What is your ethnic group?"), {
        "asian": _l("Asian or Asian British"),
        "black": _l("Black, Black British, Caribbean or African"),
        "mixed": _l("Mixed or multiple ethnic groups"),
        "white": _l("White"),
        "other": _l("Another ethnic group"),
    }),
    "disability": (_l("Do you have a disability or a long-term health condition?"), {
        "yes": _l("Yes"), "no": _l("No"),
    }),
    "welsh_speaker": (_l("Do you speak Welsh?"), {
        "yes": _l("Yes"), "no": _l("No"),
    }),
}


def new_key() -> str:
    return secrets.token_hex(16)


class EqualityResponse(db.Model):
    __tablename__ = "equality_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_key)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    # "" is a question left unanswered; PREFER_NOT is "prefer not to say".
    age_band: Mapped[str] = mapped_column(String(20), default="")
    sex: Mapped[str] = mapped_column(String(20), default="")
    ethnicity: Mapped[str] = mapped_column(String(20), default="")
    disability: Mapped[str] = mapped_column(String(20), default="")
    welsh_speaker: Mapped[str] = mapped_column(String(20), default="")
