"""Where an ERC-20 token keeps a balance or an allowance: the slot behind
``anvil_dealERC20`` and ``anvil_setERC20Allowance``.

anvil's way (its ``find_erc20_storage_slot``), kept: run the view call
(``balanceOf(holder)``, ``allowance(owner, spender)``), list the token's storage slots it
reads in the order it reads them, then run it again with each slot in turn set to a
probe value; the first slot that makes the call answer the probe is the one. Nothing
about the token's layout is assumed, so solmate, OpenZeppelin, Vyper tokens and
proxies (whose storage is the proxy's) all work; a token whose balance is no stored
word (a rebasing token's shares) is reported as not found. A balance packed with other
fields in one slot is written over the whole slot, as anvil writes it.

Two differences from anvil. anvil reads the slots from ``eth_createAccessList``; here
the state reader the call runs on records them (:class:`SlotProbe`), the same list
without a second kind of run. And anvil probes with the value it is asked to write, so
setting a balance the holder already has (0, typically) matches the first slot read,
whatever it holds; here the probe always differs from what the call answers now.

Inputs are explicit (the state, the environment of the block the calls run in), as
for every helper of the chain; the caller writes the slot it gets back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mocknode.chain.args import TxArgs
from mocknode.chain.errors import ExecutionFailed
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.state.world import StateReader, WorldState
from mocknode.types import Address

if TYPE_CHECKING:
    from mocknode.chain.evm.engine import BlockEnv

BALANCE_OF = keccak(b"balanceOf(address)")[:4]
ALLOWANCE = keccak(b"allowance(address,address)")[:4]


def balance_of(holder: Address) -> bytes:
    """Calldata of ``balanceOf(holder)``."""
    return BALANCE_OF + bytes(12) + holder


def allowance(owner: Address, spender: Address) -> bytes:
    """Calldata of ``allowance(owner, spender)``."""
    return ALLOWANCE + bytes(12) + owner + bytes(12) + spender


class SlotProbe(StateReader):
    """The state at one commit, recording the slots of ``token`` a call reads (first
    read first) and answering ``overrides`` for some of them."""

    __slots__ = ("overrides", "reads", "token")

    def __init__(self, state: WorldState, commit: int, token: Address) -> None:
        super().__init__(state, commit)
        self.token = token
        self.reads: dict[int, None] = {}  # an ordered set
        self.overrides: dict[int, int] = {}

    def storage(self, address: Address, slot: int) -> int:
        if address == self.token:
            forced = self.overrides.get(slot)
            if forced is not None:
                return forced
            self.reads.setdefault(slot)
        return super().storage(address, slot)


def _word(output: bytes) -> int | None:
    """A uint256 return value, or None when the call answered something else."""
    return int.from_bytes(output, "big") if len(output) == 32 else None


def find_slot(
    state: WorldState, env: BlockEnv, token: Address, calldata: bytes, value: int
) -> int | None:
    """The slot of ``token`` that the view call ``calldata`` answers from, found on the
    latest state of ``state`` in the block ``env`` describes, or None. ``value`` is what
    the caller means to write: it is the probe, unless the call answers it already."""
    from mocknode.chain.evm import calls

    probe = SlotProbe(state, state.head, token)
    args = TxArgs(to=token, data=calldata)
    try:
        current = _word(calls.call(probe, env, args))
    except ExecutionFailed:
        return None
    if current is None:
        return None
    marker = value if value != current else value ^ 1
    for slot in list(probe.reads):
        probe.overrides = {slot: marker}
        try:
            answer = _word(calls.call(probe, env, args))
        except ExecutionFailed:
            continue
        if answer == marker:
            return slot
    return None
