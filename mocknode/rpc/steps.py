"""Answers computed in steps, so one heavy request need not hold up every other.

The chain is synchronous and the envelope is sans-io, yet a node serving many clients
must not stop answering them while one client mines 20,000 blocks or runs a 1000-item
batch. The pieces here let work be cut where it is safe to let others in, without this
layer knowing who drives it:

* a method may return a :class:`Deferred` whose generator does the work and yields
  :data:`CHECKPOINT` wherever other requests may run (between two mined blocks: every
  reader then sees a whole block or none); its return value is the method's result;
* the envelope's stepwise entry points (:func:`mocknode.rpc.stepwise.answer_stepwise`)
  yield a checkpoint between batch items, each item staying atomic;
* a step may also be an :class:`Offload`: a function to run away from the event loop
  (the node runs it in a worker thread; ``abort`` asks it to stop early).

The node (:mod:`mocknode.offload`) drives these generators under trio; everything that
answers synchronously (the fault layer's armed path, in-process requests) drives them in
place with :func:`run_inline`, which ignores checkpoints and runs offloads itself.
Driver-specific steps (the node's waits) only ever reach the driver that made them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Final, NamedTuple

__all__ = ["CHECKPOINT", "Deferred", "Offload", "Steps", "run_inline"]

CHECKPOINT: Final = None
"""A step: other requests may run here."""

Steps = Generator[Any, Any, Any]
"""Yields steps (:data:`CHECKPOINT`, :class:`Offload`, or the driver's own); each
:class:`Offload` is sent its function's result back (or has its exception thrown
in); returns the result."""


class Offload(NamedTuple):
    """A step: run ``fn`` off the event loop and send its result back; ``abort`` asks
    a running ``fn`` to stop soon (it then raises), from any thread."""

    fn: Callable[[], Any]
    abort: Callable[[], None]


class Deferred:
    """A method's result still to be computed, by driving ``steps``."""

    __slots__ = ("steps",)

    def __init__(self, steps: Steps) -> None:
        self.steps = steps

    def __repr__(self) -> str:
        return f"Deferred({self.steps!r})"


def run_inline(steps: Steps) -> Any:
    """Drive ``steps`` to the end on this thread: checkpoints pass, offloads run here."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.send(value) if error is None else steps.throw(error)
        except StopIteration as stop:
            return stop.value
        value = error = None
        if step is CHECKPOINT:
            continue
        if type(step) is Offload:
            try:
                value = step.fn()
            except Exception as exc:  # handed back to the generator, like a driver does
                error = exc
            continue
        steps.close()
        raise TypeError(f"a step only an asynchronous driver can take: {step!r}")
