"""``mocknode.gcpause``: the ``mocknode`` command freezes what survives each full garbage
collection, so the next full collection walks only what was made since (issue 11: full
collections over a 20,000-block chain paused every client for up to seconds).

Each check runs in a fresh interpreter: the collector's state is the process's, and
this test process's is the pytest plugin's.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from mocknode.cli import build_parser

SCRIPT = textwrap.dedent(
    """
    import gc, time
    from mocknode.gcpause import freeze_after_full_collections

    before = gc.get_freeze_count()
    freeze_after_full_collections()
    freeze_after_full_collections()  # idempotent: one callback
    assert gc.callbacks.count(gc.callbacks[-1]) == 1 and len(gc.callbacks) == 1
    assert gc.get_freeze_count() > before  # what start-up made is frozen at once

    kept = [[i] for i in range(200_000)]  # a big chain: tracked containers (lists)
    gc.collect(2)
    frozen = gc.get_freeze_count()
    assert frozen >= 200_000, frozen  # the survivors left the collector's walk
    assert len(gc.get_objects()) < 100_000

    # A full collection now walks only what was made since: far shorter than one
    # walking the 200,000 survivors (compared with an unfrozen twin below).
    started = time.perf_counter()
    gc.collect(2)
    frozen_pause = time.perf_counter() - started
    gc.unfreeze()
    gc.callbacks.clear()
    started = time.perf_counter()
    gc.collect(2)
    whole_pause = time.perf_counter() - started
    assert frozen_pause * 3 < whole_pause, (frozen_pause, whole_pause)

    # Objects freed by reference count are freed, frozen or not.
    gc.freeze()
    import weakref
    class Block: pass
    block = Block()
    gc.freeze()
    ref = weakref.ref(block)
    del block
    assert ref() is None
    print("ok")
    """
)


def test_survivors_of_a_full_collection_are_frozen() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_the_command_freezes_unless_told_not_to() -> None:
    assert build_parser().parse_args([]).gc_freeze is True
    assert build_parser().parse_args(["--no-gc-freeze"]).gc_freeze is False
