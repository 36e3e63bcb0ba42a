"""Filter and subscription ids: geth's format, drawn from a per-node seeded generator.

geth draws every filter and subscription id from one process-wide generator seeded from
the OS (rpc/subscription.go ``randomIDGenerator``): 16 random bytes as hex, leading zeros
trimmed (``0x`` + at most 32 hex digits; ``0x0`` for zero). mocknode keeps the format and
one id space for filters and subscriptions, but each node owns its generator and seeds it
(0 unless told otherwise), so two nodes that see the same traffic hand out the same ids:
a run replays, even with several nodes in one process. Reverting a snapshot does not
rewind the generator, so an id a client kept from before a revert does not name a newer
filter (128 random bits: a repeat is as unlikely as it is in geth).
"""

from __future__ import annotations

import random

__all__ = ["IdSource"]


class IdSource:
    """Hands out ids: ``source()`` returns the next one."""

    __slots__ = ("_rng",)

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def __call__(self) -> str:
        # f"{n:x}" is geth's encodeID: hex of 16 bytes without leading zeros.
        return f"0x{self._rng.getrandbits(128):x}"
