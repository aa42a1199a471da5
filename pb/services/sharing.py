"""How the money is shared out, in plain words, for every allocation rule the engine has.

Residents meet the rule on a round's pages, on the ballot and on the results: they read it as
short sentences, one idea each, never the rule's technical name alone. Each sentence comes
with the name of an icon (pb/icons.py) that Easy Read shows beside it.
"""

from __future__ import annotations

from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import ngettext

POINTS_BALLOTS = ("ranking", "scoring", "points")


def how_money_is_shared(rule: str, settings: dict | None, ballot_type: str,
                        tie_break: str | None = None) -> list[tuple[str, str]]:
    """The sentences that explain a round's allocation rule to a resident.

    Parameters
    ----------
    rule : str
        The round's rule: greedy, greedy-no-skip, greedy-threshold, equal-shares or phragmen.
    settings : dict or None
        The rule's settings (threshold, threshold_percent, partial_remainder, completion,
        greedy_completion).
    ballot_type : str
        The round's ballot type; ranking, scoring and points ballots are counted in points.
    tie_break : str, optional
        "chain" or "refuse"; with None, nothing is said about ties.

    Returns
    -------
    list of (str, str)
        (icon name, sentence) pairs, in the order to read them.
    """
    settings = settings or {}
    points = ballot_type in POINTS_BALLOTS
    lines = [("vote", _counting(ballot_type))]
    if rule == "equal-shares":
        lines += _equal_shares(settings)
    elif rule == "phragmen":
        lines += _phragmen()
    else:
        lines += _greedy(rule, settings, points)
    if tie_break == "chain":
        lines.append(("info", _("If two projects are level, the one that costs less goes "
                                "first.")))
        lines.append(("info", _("If they are still level, a computer draws lots.")))
    elif tie_break == "refuse":
        lines.append(("info", _("If two projects are level and only one can be funded, the "
                                "counting stops.")))
        lines.append(("info", _("Then the organisers decide, in public.")))
    return lines


def _counting(ballot_type: str) -> str:
    if ballot_type == "ranking":
        return _("Each project gets points from every ballot. A first choice gets the most "
                 "points.")
    if ballot_type == "scoring":
        return _("We add up the scores each project gets.")
    if ballot_type == "points":
        return _("We add up the points each project gets.")
    return _("We count the votes for each project.")


def _greedy(rule: str, settings: dict, points: bool) -> list[tuple[str, str]]:
    lines = [("results", _("The project with the most points is funded first.") if points
              else _("The project with the most votes is funded first.")),
             ("results", _("Then the next one, and so on down the list."))]
    threshold, percent = settings.get("threshold"), settings.get("threshold_percent")
    if percent is not None:
        lines.append(("people", _("A project must be chosen by at least %(percent)s%% of the "
                                  "voters.", percent=_percent(percent))))
    elif threshold is not None:
        lines.append(("people", ngettext("A project needs at least %(num)s point.",
                                         "A project needs at least %(num)s points.", threshold)
                      if points else
                      ngettext("A project needs at least %(num)s vote.",
                               "A project needs at least %(num)s votes.", threshold)))
    if rule == "greedy-no-skip":
        lines.append(("money", _("We stop at the first project that costs more than the money "
                                 "left.")))
    else:
        lines.append(("money", _("A project that costs more than the money left is skipped.")))
        lines.append(("money", _("A cheaper project further down can still be funded.")))
    if settings.get("partial_remainder"):
        lines.append(("money", _("The last project may get what is left, as part of its "
                                 "cost.")))
    return lines


def _equal_shares(settings: dict) -> list[tuple[str, str]]:
    lines = [("money", _("Every voter gets an equal share of the money.")),
             ("vote", _("Your share can only pay for projects you chose.")),
             ("people", _("A project is funded when its voters' shares add up to its cost.")),
             ("results", _("Projects that many people chose, for less money, go first."))]
    if settings.get("completion") == "add1":
        lines.append(("money", _("If money is left, every share is made a little bigger and we "
                                 "count again.")))
    if settings.get("greedy_completion"):
        lines.append(("money", _("Any money still left goes to the projects with the most "
                                 "votes that fit.")))
    return lines


def _phragmen() -> list[tuple[str, str]]:
    return [("people", _("The money is shared so that as many voters as possible get a project "
                         "they chose.")),
            ("results", _("A project that many people chose goes first.")),
            ("people", _("People who already got a project they chose count a little less "
                         "for the next one.")),
            ("money", _("A project that costs more than the money left is skipped."))]


def _percent(value) -> str:
    number = Fraction(str(value))
    return str(number.numerator) if number.denominator == 1 else f"{float(number):g}"
