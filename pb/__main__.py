"""The `pb` console script (also `python -m pb`).

`pb tally` is dispatched before the web stack is imported, so counting a file starts fast.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["tally"]:
        from .tally.cli import tally_command

        tally_command.main(args=sys.argv[2:], prog_name="pb tally")
        return
    from .cli import cli

    cli.main(prog_name="pb")


if __name__ == "__main__":
    main()
