"""The ``pb tally`` command: count a pabulib file and print the result as JSON."""

from __future__ import annotations

import json
import sys

import click

from pb.tally.engine import RULES, tally
from pb.tally.model import TallyError, TieBreak, TieError


@click.command("tally")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--rule", type=click.Choice(RULES), default=None,
              help="Allocation rule; by default the rule named in the file's META.")
@click.option("--threshold", type=click.IntRange(min=0), default=None,
              help="Least score a project needs (greedy rules); by default META "
                   "min_project_score_threshold where given.")
@click.option("--completion", type=click.Choice(["add1", "none"]), default=None,
              help="Equal shares completion; by default add1 when META names equalshares/add1.")
@click.option("--partial-remainder", is_flag=True, default=False,
              help="Greedy rules: offer what is left to the next project as a partial award.")
@click.option("--tie-break", "tie_mode", type=click.Choice(["chain", "refuse"]), default="chain",
              show_default=True, help="Break ties by lowest cost, most votes, then lot; or refuse.")
@click.option("--seed", default="", help="Seed of the lot that ends the tie-break chain.")
@click.option("--scale", type=click.IntRange(min=1), default=100, show_default=True,
              help="Minor units per currency unit; amounts in the output are in minor units.")
def tally_command(file, rule, threshold, completion, partial_remainder, tie_mode, seed, scale):
    """Count FILE.pb and print the result as JSON.

    Exit status: 0 on success, 1 on invalid input (the message names the line),
    3 when --tie-break refuse meets a tie that decides the outcome.
    """
    from pb.tally import pabulib

    try:
        source = sys.stdin.buffer.read() if file == "-" else file
        election, _, info = pabulib.read(source, scale=scale)
        if rule is None:
            rule, settings = info["rule"], dict(info["settings"])
        else:
            settings = dict(info["settings"]) if rule == info["rule"] else {}
            if rule == "greedy-threshold" and "threshold" in info["settings"]:
                settings.setdefault("threshold", info["settings"]["threshold"])
        if threshold is not None:
            if not rule.startswith("greedy"):
                raise click.UsageError("--threshold applies to the greedy rules only")
            settings["threshold"] = threshold
        if completion is not None:
            if rule != "equal-shares":
                raise click.UsageError("--completion applies to equal-shares only")
            settings.pop("completion", None)
            if completion == "add1":
                settings["completion"] = "add1"
        if partial_remainder:
            settings["partial_remainder"] = True
        result = tally(election, rule, settings, TieBreak(tie_mode, seed))
    except TieError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(3)
    except TallyError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(1)
    except OSError as e:
        click.echo(f"Error: cannot read {file}: {e.strerror or e}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
