"""The ``mocknode`` command's entry point, for the console script and ``python -m
mocknode``: the collector pauses before anything is imported (:mod:`mocknode.gcpause`,
issue 12: start-up to first answer), then :func:`mocknode.cli.run` serves, and turns it
back on once the node listens."""

from __future__ import annotations

from typing import NoReturn


def run() -> NoReturn:
    from mocknode.gcpause import pause_for_start_up

    pause_for_start_up()
    from mocknode.cli import run as run_cli

    run_cli()
