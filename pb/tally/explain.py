"""Plain-English reasons for every project's outcome, ready for translation.

Templates are %-style with named parameters. Each is a literal inside ``N_(...)`` so that
Babel extracts them with ``pybabel extract -k N_``.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from math import floor

from pb.tally.model import Reason


def N_(message: str) -> str:
    """Mark a string for extraction without translating it."""
    return message


TEMPLATES = {
    "funded": N_("Funded in step %(step)s with %(votes)s votes."),
    "funded_one_vote": N_("Funded in step %(step)s with 1 vote."),
    "funded_points": N_("Funded in step %(step)s with %(score)s points from %(votes)s voters."),
    "partial": N_("Partly funded in step %(step)s with %(votes)s votes: it was awarded the "
                  "remaining %(award)s of its cost of %(cost)s."),
    "over_budget": N_("Needed %(cost)s but only %(left)s was left."),
    "lost_tie_cost": N_("Tied with %(with)s and lost the tie-break (lower cost first); then it "
                        "needed %(cost)s but only %(left)s was left."),
    "lost_tie_votes": N_("Tied with %(with)s and lost the tie-break (more votes first); then it "
                         "needed %(cost)s but only %(left)s was left."),
    "lost_tie_lot": N_("Tied with %(with)s and lost the tie-break (drawing of lots); then it "
                       "needed %(cost)s but only %(left)s was left."),
    "below_threshold": N_("Below the minimum of %(threshold)s votes: it had %(score)s."),
    "below_threshold_percent": N_("Below the minimum of %(threshold)s votes (%(percent)s%% of "
                                  "voters): it had %(score)s."),
    "stopped": N_("Not reached: counting stops at the first project that does not fit "
                  "(%(at)s)."),
    "no_votes": N_("Received no votes."),
    "excluded": N_("Not funded because it excludes %(with)s, which was funded."),
    "not_selected": N_("Not funded."),
    "es_funded": N_("Funded in step %(step)s with an effective vote count of "
                    "%(effective_votes)s (%(votes)s votes): each supporter paid at most "
                    "%(payment)s."),
    "es_unaffordable": N_("Not funded: its supporters' shares could not cover its cost. They "
                          "had %(available)s left of the %(cost)s needed (%(votes)s votes; "
                          "effective vote count %(effective_votes)s when last affordable)."),
    "es_unaffordable_never": N_("Not funded: its supporters' shares could not cover its cost. "
                                "They had %(available)s left of the %(cost)s needed "
                                "(%(votes)s votes)."),
    "es_completion": N_("Funded in step %(step)s by the greedy completion, with %(votes)s "
                        "votes, from money left after equal shares."),
    "phragmen_funded": N_("Funded in step %(step)s with %(votes)s votes, when its supporters' "
                          "load reached %(load)s."),
}

_MONEY = frozenset({"cost", "left", "award", "available", "payment"})


def default_money(amount) -> str:
    """Format minor units as major units: 600000 -> "6,000", 600050 -> "6,000.50"."""
    cents = floor(amount) if isinstance(amount, Fraction) else int(amount)
    sign = "-" if cents < 0 else ""
    major, minor = divmod(abs(cents), 100)
    return f"{sign}{major:,}" + (f".{minor:02d}" if minor else "")


def _number(value) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return f"{int(value):,}"
        return f"{float(value):,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _template_key(reason: Reason) -> str:
    code, p = reason.code, reason.params
    if code == "funded" and "score" in p:
        return "funded_points"
    if code == "funded" and p.get("votes") == 1:
        return "funded_one_vote"
    if code == "lost_tie":
        return f"lost_tie_{p.get('criterion', 'lot')}"
    if code == "below_threshold" and "percent" in p:
        return "below_threshold_percent"
    if code == "es_unaffordable" and p.get("effective_votes") is None:
        return "es_unaffordable_never"
    return code if code in TEMPLATES else "not_selected"


def reason_text(reason: Reason, gettext: Callable[[str], str] | None = None,
                money: Callable[[int], str] | None = None) -> str:
    """Return the sentence a resident reads for one project's outcome.

    Parameters
    ----------
    reason : Reason
    gettext : callable, optional
        Translates the template (str -> str); identity by default.
    money : callable, optional
        Formats minor units (int -> str); by default "6,000" or "6,000.50".

    Returns
    -------
    str
    """
    gettext = gettext or (lambda s: s)
    money = money or default_money
    values = {}
    for key, value in reason.params.items():
        if key in _MONEY and isinstance(value, (int, Fraction)):
            values[key] = money(floor(value) if isinstance(value, Fraction) else value)
        else:
            values[key] = _number(value)
    values.setdefault("effective_votes", "")
    return gettext(TEMPLATES[_template_key(reason)]) % values
