"""Forms for keying paper ballots. Numbers are read by the view and checked by the service,
so each problem has one message, whatever was typed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ..services.paper import MAX_REASON_LENGTH


def whole_number(text: str | None) -> int | None:
    """A whole number typed by a person ("12", " 12 "), or None."""
    cleaned = (text or "").strip().replace(",", "")
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 9 else None


class BatchForm(FlaskForm):
    label = StringField(_l("Batch label"),
                        description=_l("As written on the envelope or header sheet, for example "
                                       "“Library box 3”."),
                        render_kw={"maxlength": 80})
    declared_count = StringField(_l("Number of papers in the batch"),
                                 description=_l("The number written on the envelope or header "
                                                "sheet."))


class CountForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "count")
        super().__init__(*args, **kwargs)

    declared_count = StringField(_l("Correct number of papers"),
                                 description=_l("Only after counting the papers in the envelope "
                                                "again."))


class KeyForm(FlaskForm):
    paper_number = StringField(_l("Paper number"),
                               description=_l("The number written on the paper."))
    spoilt = BooleanField(_l("Spoilt paper: it cannot be counted"))
    spoilt_reason = StringField(_l("Why can it not be counted?"),
                                description=_l("For example “too many ticks” or “blank”."),
                                render_kw={"maxlength": MAX_REASON_LENGTH})
