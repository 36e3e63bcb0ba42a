"""Helpers shared by the chain tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from eth_abi import encode

from mocknode.chain.args import TxArgs
from mocknode.chain.block.genesis import genesis_block
from mocknode.chain.chain import Chain
from mocknode.chain.config import GWEI
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Block, Tx
from mocknode.chain.state.world import Account, BlockDiff, WorldState
from mocknode.chain.tx import codec as txcodec
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC, DevAccount, derive_accounts
from mocknode.types import Address, Hash32

ARTIFACTS = Path(__file__).resolve().parents[2] / "fixtures" / "artifacts"


def deploy_greeter(chain: Chain) -> Address:
    artifact = json.loads((ARTIFACTS / "Greeter.json").read_text())
    code = bytes.fromhex(artifact["bytecode"][2:]) + encode(["string"], ["hello"])
    tx_hash = chain.send_transaction(TxArgs(sender=chain.accounts[0].address, data=code))
    location = chain.receipt(tx_hash)
    assert location is not None
    assert location.receipt.success
    assert location.receipt.contract_address is not None
    return location.receipt.contract_address


# -- worlds without a Chain: the helpers' explicit inputs, built by hand -------------------

CHAIN_ID = 31337
GENESIS_TIME = 1_700_000_000
GAS_LIMIT = 30_000_000
FUNDS = 1_000 * 10**18
COINBASE = Address(b"\xc0" * 20)
DEV = derive_accounts(DEFAULT_MNEMONIC, 4)


def new_world(
    alloc: Iterable[tuple[Address, int]] | None = None,
) -> tuple[WorldState, Block]:
    """A state holding the system contracts and ``alloc`` (by default the first four dev
    accounts with ``FUNDS`` each), and the genesis block over it (base fee 1 gwei)."""
    state = WorldState()
    if alloc is None:
        alloc = [(dev.address, FUNDS) for dev in DEV]
    genesis = genesis_block(
        state,
        alloc,
        coinbase=COINBASE,
        gas_limit=GAS_LIMIT,
        base_fee=GWEI,
        timestamp=GENESIS_TIME,
    )
    return state, genesis


def install(
    state: WorldState,
    address: Address,
    *,
    code: bytes = b"",
    storage: dict[int, int] | None = None,
    balance: int = 0,
    nonce: int = 0,
) -> None:
    """Commit an account (code, storage, balance, nonce) to ``state``, as a dev edit."""
    code_hash = keccak(code)
    state.commit(
        BlockDiff(
            {address: Account(nonce, balance, code_hash)},
            {address: storage} if storage else {},
            {code_hash: code},
        )
    )


def signed(
    dev: DevAccount,
    nonce: int,
    *,
    to: Address | None = DEV[3].address,
    value: int = 0,
    gas: int = 21000,
    tip: int = GWEI,
    max_fee: int = 2 * GWEI,
    data: bytes = b"",
    chain_id: int = CHAIN_ID,
) -> Tx:
    """A type-2 transaction signed by ``dev``."""
    return txcodec.sign(
        private_key=dev.private_key,
        sender=dev.address,
        chain_id=chain_id,
        tx_type=2,
        nonce=nonce,
        gas=gas,
        to=to,
        value=value,
        data=data,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=tip,
    )


def ancestors_of(*blocks: Block) -> Callable[[], Iterator[Hash32]]:
    """BLOCKHASH's view for a block built on ``blocks`` (oldest first)."""
    return lambda: iter([block.hash for block in reversed(blocks)])
