"""geth's ``4byteTracer``: how often each (selector, calldata size) was called.

Counted for the transaction's own call and every CALL, CALLCODE, DELEGATECALL and
STATICCALL with at least 4 bytes of input, except calls into precompiles (geth's
rule); deployments and SELFDESTRUCT are not calls.
"""

from __future__ import annotations

from mocknode.chain.evm.tracing import hooks
from mocknode.types import Address

_CALLS = frozenset({hooks.CALL, hooks.CALLCODE, hooks.DELEGATECALL, hooks.STATICCALL})
# Prague's precompiles: 0x01 .. 0x11 (BLS12-381 included).
_LAST_PRECOMPILE = 0x11


def is_precompile(address: Address) -> bool:
    number = int.from_bytes(address, "big")
    return 0 < number <= _LAST_PRECOMPILE


class FourByteTracer(hooks.Tracer):
    wants_steps = False

    def __init__(self) -> None:
        self.counts: dict[tuple[bytes, int], int] = {}

    def on_enter(
        self,
        depth: int,
        kind: int,
        sender: Address,
        to: Address,
        data: bytes,
        gas: int,
        value: int | None,
    ) -> None:
        if len(data) < 4 or kind not in _CALLS or is_precompile(to):
            return
        key = (bytes(data[:4]), len(data) - 4)
        self.counts[key] = self.counts.get(key, 0) + 1
