"""What the edge-fault proofs share: reading the journal, and replaying a scenario.

A proof runs a real client against the test's node under one rule, then runs the same
scenario again from the same state (same seed, rule ids from 1, empty journal, node clock
at 0, connection ids from 1: :meth:`Faults.restart_run`) and checks both runs journaled
exactly the same entries. On the threaded node trio's clock is the real one, so entry
times differ between runs by scheduling noise: :func:`replayable` drops them (and
``draw`` is kept: it must be identical).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

JOURNAL_LIMIT = 10_000


def journal(faults: Any) -> list[dict[str, Any]]:
    """Every entry of the node's journal as JSON objects."""
    return [entry.render() for entry in faults.journal_page(0, JOURNAL_LIMIT).entries]


def replayable(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries without their (real-clock) times."""
    return [{k: v for k, v in entry.items() if k != "time"} for entry in entries]


def kinds(entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """``(kind, fault)`` of each entry: the shape of a run at a glance."""
    return [(entry["kind"], entry["fault"]) for entry in entries]


def faults_of(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["kind"] == "fault" and entry["fault"] == kind]


def fresh(faults: Any, seed: int, rules: list[Mapping[str, Any]]) -> None:
    """The node's faults as at the start of a test, with ``rules`` under ``seed``."""
    faults.clear()
    faults.set_seed(seed)
    faults.restart_run()
    for rule in rules:
        faults.add(rule)


def wait_until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def closed(faults: Any, count: int) -> Callable[[], bool]:
    """True once ``count`` connections have been journaled as closed (a session closes
    after its client left: waiting for it keeps the next run's entries in order)."""
    return lambda: sum(e["kind"] == "close" for e in journal(faults)) >= count


def wait_closed(faults: Any, count: int, node: Any) -> None:
    """Wait for :func:`closed`; when it does not come, say what the node journaled and
    which sessions it still holds (connection info, journal run), so that a missing
    ``close`` shows whether the node never saw the client leave or saw it unjournaled."""
    try:
        wait_until(closed(faults, count))
    except AssertionError as err:

        def sessions() -> Any:
            served = node._served().faults
            live = [(s.info, s.journaled) for s in served._sessions]
            return served.armed, served.journal_epoch, live

        raise AssertionError(
            f"{count} close(s) not journaled; journal: {journal(faults)}; "
            f"node (armed, run, sessions): {node.run(sessions)}"
        ) from err
