"""Account edits between blocks (anvil_setBalance, _setNonce, _setCode, _setStorageAt).

Each is a state commit with no block; they need only the world state, so they live
here rather than in :mod:`mocknode.chain.chain`, which delegates to them. (Its
``_edit`` stays a method: :mod:`mocknode.faults.chain_view` makes it read-only.)
"""

from __future__ import annotations

from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.state.world import EMPTY_ACCOUNT, Account, BlockDiff, WorldState
from mocknode.types import Address


def account(state: WorldState, address: Address) -> Account:
    """The account at ``address`` now, or an empty one."""
    return state.reader().account(address) or EMPTY_ACCOUNT


def edit(state: WorldState, address: Address, new: Account) -> None:
    """Change an account between blocks (a state commit with no block)."""
    state.commit(BlockDiff({address: new}, {}, {}))


def set_code(state: WorldState, address: Address, code: bytes) -> None:
    code_hash = keccak(code)
    current = account(state, address)
    state.commit(BlockDiff({address: current._replace(code_hash=code_hash)}, {}, {code_hash: code}))


def set_storage(state: WorldState, address: Address, slot: int, value: int) -> None:
    current = state.reader().account(address)
    accounts: dict[Address, Account | None] = {}
    if current is None:
        accounts[address] = EMPTY_ACCOUNT
    state.commit(BlockDiff(accounts, {address: {slot: value}}, {}))
