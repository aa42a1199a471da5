"""The tally engine stays pure: importing it, or running `pb tally`, loads no web stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

WEB = ("flask", "sqlalchemy", "flask_sqlalchemy", "wtforms")

CHECK = """
import sys
{code}
loaded = sorted(m for m in {web!r} if m in sys.modules)
print("LOADED=" + ",".join(loaded))
"""


@pytest.mark.parametrize(
    "code",
    [
        "import pb.tally, pb.tally.pabulib, pb.tally.explain, pb.tally.cli",
        "import runpy, sys; sys.argv = ['pb', 'tally', '--help']\n"
        "try:\n    runpy.run_module('pb', run_name='__main__')\nexcept SystemExit:\n    pass",
    ],
    ids=["import-pb-tally", "pb-tally-command"],
)
def test_tally_loads_no_web_stack(code):
    done = subprocess.run([sys.executable, "-c", CHECK.format(code=code, web=WEB)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "LOADED="
