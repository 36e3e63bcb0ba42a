"""Short garbage-collector pauses for a node that owns its process (the ``mocknode``
command).

CPython's full (generation 2) collection walks every tracked container in the process.
A chain is tens of objects a block, so once it is big a full collection pauses
everything for a time proportional to the chain: mining 20,000 blocks in-process ran 6
full collections of up to 0.9 s (2.9 s on a busier machine), against issue 11's
promise of cheap reads answered within 100 ms while another client mines.

:func:`freeze_after_full_collections` moves what survives each full collection into
the permanent generation (:func:`gc.freeze`), so the next one walks only what was made
since: the pause follows the work done since the last collection, not the chain's size.
Measured on the same mine: the longest full collection 0.9 s -> 0.28 s (the first,
before anything was frozen), their total 2.6 s -> 1.3 s of CPU.

The trade-off: an object frozen this way that later becomes part of unreachable
*cyclic* garbage is never reclaimed (objects freed by reference count, which is nearly
all, are freed as usual). The chain's own objects die by reference count (a snapshot
revert of 500 mined blocks leaves no cyclic garbage), so what can stay behind is
whatever cyclic garbage was in flight, alive, at the moment of a full collection: a
bounded amount per collection. That is why only the command, which owns its process,
does this; an embedded :class:`~mocknode.embedded.MockNode` leaves the host process's
collector alone (the pytest plugin freezes once, after start-up). ``--no-gc-freeze``
turns it off.

Raising the generation-2 threshold instead would make full collections rarer but no
shorter; disabling the collector would leak every cycle.

Start-up (issue 12: the command's first answer) is mostly imports, trio's and the
node's: they allocate enough containers for ~70 young collections, ~8% of the start's
CPU, that free only what the imports leave in cycles (measured: ~2,000 objects,
~0.5 MiB, mostly the classes ``dataclass(slots=True)`` replaces). :func:`pause_for_start_up`
turns the collector off from the command's first line until :func:`resume_after_start_up`,
once the node listens and before it serves a request. What start-up made is then frozen
at once, those cycles with it: the 0.5 MiB stays, once per process, never more. With
``--no-gc-freeze`` the first young collection after that walks all of start-up's
objects instead (~10 ms, once), and frees them.
"""

from __future__ import annotations

import gc
from typing import Any

__all__ = ["freeze_after_full_collections", "pause_for_start_up", "resume_after_start_up"]

_paused_for_start_up = False


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def freeze_after_full_collections() -> None:
    """Freeze what is alive now (no collection first: start-up should not wait for
    one) and after every later full collection (module docstring). Idempotent."""
    gc.freeze()
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def pause_for_start_up() -> None:
    """Turn the collector off until :func:`resume_after_start_up` (module docstring); a
    collector already off stays as its owner left it."""
    global _paused_for_start_up
    if gc.isenabled():
        gc.disable()
        _paused_for_start_up = True


def resume_after_start_up() -> None:
    """Turn the collector back on if :func:`pause_for_start_up` turned it off."""
    global _paused_for_start_up
    if _paused_for_start_up:
        _paused_for_start_up = False
        gc.enable()
