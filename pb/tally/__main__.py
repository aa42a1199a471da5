"""Run ``python -m pb.tally FILE.pb [options]``."""

from pb.tally.cli import tally_command

if __name__ == "__main__":
    tally_command(prog_name="pb tally")
