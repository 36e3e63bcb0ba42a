"""What a genesis file sets beyond :class:`~mocknode.chain.config.ChainConfig`'s own fields.

A geth genesis file (``mocknode --init genesis.json``) allocates accounts with code,
storage and nonces, not only balances, and fixes the genesis block's timestamp and
extraData. Its chain id, gas limit, base fee and coinbase go into the matching
``ChainConfig`` fields; the rest is held here, as plain typed values, and block 0 is
built from it (:func:`mocknode.chain.block.genesis.genesis_block`). Reading the JSON is
:mod:`mocknode.persist.genesis_file`'s job: the chain knows no JSON.
"""

from __future__ import annotations

from mocknode.types import Address
from mocknode.values import dataclass


@dataclass(frozen=True, slots=True)
class GenesisAccount:
    """One ``alloc`` entry: committed to the genesis state as given (zero slots left out)."""

    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: tuple[tuple[int, int], ...] = ()  # (slot, value)


@dataclass(frozen=True, slots=True)
class Genesis:
    """Accounts written over the dev accounts at genesis, and block 0's own fields."""

    alloc: tuple[tuple[Address, GenesisAccount], ...] = ()
    timestamp: int | None = None  # None: the clock's genesis timestamp
    extra_data: bytes = b""
