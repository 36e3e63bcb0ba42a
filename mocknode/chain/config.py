"""What a chain is built from: :class:`ChainConfig`, and the ether units it is written in.

Kept apart from :mod:`mocknode.chain.chain` so that the layers above (node, CLI, pytest
plugin) and the chain's own helpers can name a configuration without importing the
state machine that consumes it.
"""

from __future__ import annotations

from typing import Literal

from mocknode.chain.clock import Clock, WallClock
from mocknode.chain.genesis_spec import Genesis
from mocknode.chain.limits import CODE_SIZE_LIMIT
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC
from mocknode.types import ZERO_ADDRESS, Address
from mocknode.values import dataclass, field

GWEI = 10**9
ETHER = 10**18


@dataclass(frozen=True)
class ChainConfig:
    chain_id: int = 31337
    accounts: int = 10
    balance: int = 10_000 * ETHER
    mnemonic: str = DEFAULT_MNEMONIC
    gas_limit: int = 30_000_000
    base_fee: int = GWEI
    coinbase: Address = ZERO_ADDRESS
    automine: bool = True
    # The tip eth_maxPriorityFeePerGas suggests and eth_sendTransaction fills in.
    priority_fee: int = GWEI
    extra_alloc: tuple[tuple[Address, int], ...] = ()
    clock: Clock = field(default_factory=WallClock)
    # Every address may send eth_sendTransaction without its key (anvil's
    # --auto-impersonate); anvil_autoImpersonateAccount switches it at run time.
    auto_impersonate: bool = False
    # What eth_gasPrice answers, and what a legacy eth_sendTransaction pays when it names
    # no price (anvil's --gas-price); None: the head's base fee plus the tip, as geth.
    gas_price: int | None = None
    # How a block takes the pool's transactions (anvil's --order): highest tip first, or
    # in the order they arrived.
    tx_order: Literal["fees", "fifo"] = "fees"
    # EIP-170's limit on deployed code, in bytes; EIP-3860's on initcode is twice it
    # (anvil's --code-size-limit).
    code_size_limit: int = CODE_SIZE_LIMIT
    # Accounts with code, storage and nonces, and block 0's timestamp and extraData, as
    # a geth genesis file gives them (mocknode --init).
    genesis: Genesis = field(default_factory=Genesis)
    # geth's --rpc.gascap: the most gas eth_call, eth_estimateGas, eth_createAccessList
    # and eth_simulateV1 may use, a caller's larger figure clamped to it (0: no cap).
    rpc_gas_cap: int = 50_000_000
