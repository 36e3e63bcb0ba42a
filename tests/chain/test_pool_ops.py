"""The chain's pool operations: drop, hold, release, replace, and the admission hook
that lets a policy act on a transaction before automine mines it."""

from __future__ import annotations

import pytest
from eth_account import Account

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ETHER, GWEI, ChainConfig
from mocknode.chain.errors import InvalidRequest, TxRejected
from mocknode.chain.records import Tx
from mocknode.chain.tx import codec as txcodec
from mocknode.chain.tx.build import bumped
from mocknode.types import LATEST, PENDING, Address, Hash32

START = 1_700_000_000
OUTSIDER = Account.from_key(b"\x07" * 32)  # a key the node does not hold
OUTSIDER_ADDRESS = Address(bytes.fromhex(OUTSIDER.address[2:]))


def new_chain(**options: object) -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=START, step=12), **options))  # type: ignore[arg-type]


def send(chain: Chain, sender: int = 0, value: int = 1, gas_price: int | None = None) -> Hash32:
    return chain.send_transaction(
        TxArgs(
            sender=chain.accounts[sender].address,
            to=chain.accounts[9].address,
            value=value,
            gas_price=gas_price,
        )
    )


def pooled(chain: Chain, tx_hash: Hash32) -> Tx:
    tx = chain.pool.get(tx_hash)
    assert tx is not None
    return tx


def test_drop_transaction_and_the_gap_it_leaves() -> None:
    chain = new_chain(automine=False)
    first, second = send(chain), send(chain)
    dropped = pooled(chain, first)
    assert chain.drop_transaction(first) is dropped
    assert chain.drop_transaction(first) is None  # already gone
    alice = chain.accounts[0].address
    assert chain.nonce(alice, PENDING) == 0  # nonce 1 now waits behind a gap
    chain.mine()
    assert chain.head.transactions == ()
    assert chain.transaction(second) is not None
    assert chain.receipt(second) is None


def test_drop_all_and_remove_pool_transactions() -> None:
    chain = new_chain(automine=False)
    a0, a1, b0 = send(chain, 0), send(chain, 0), send(chain, 1)
    removed = chain.remove_pool_transactions(chain.accounts[0].address)
    assert [tx.hash for tx in removed] == [a0, a1]
    assert [tx.hash for tx in chain.pool] == [b0]
    assert [tx.hash for tx in chain.drop_all_transactions()] == [b0]
    assert len(chain.pool) == 0
    assert chain.remove_pool_transactions(chain.accounts[0].address) == []


def test_a_hook_holds_a_transaction_for_some_blocks_under_automine() -> None:
    chain = new_chain()
    delayed: list[Hash32] = []

    def delay_first(tx: Tx) -> None:
        if not delayed:
            delayed.append(tx.hash)
            chain.hold(tx.hash, not_before_block=chain.head.number + 3)

    chain.admission_hooks.append(delay_first)
    held = send(chain, 0)
    assert chain.head.number == 0
    assert chain.receipt(held) is None
    assert chain.transaction(held) == pooled(chain, held)  # pending, readable
    send(chain, 1)
    assert chain.head.number == 1  # others are mined as usual
    chain.mine()
    assert chain.receipt(held) is None
    send(chain, 1)  # block 3 may take it: automine mines it with this one
    location = chain.receipt(held)
    assert location is not None
    assert location.block.number == 3
    assert chain.head.number == 4


def test_a_hold_by_timestamp_follows_the_clock_and_time_travel() -> None:
    chain = new_chain(automine=False)
    tx_hash = send(chain)
    chain.hold(tx_hash, not_before_timestamp=START + 30)
    chain.mine(2)  # START + 12, START + 24
    assert chain.receipt(tx_hash) is None
    chain.time.increase(100)
    chain.mine()
    location = chain.receipt(tx_hash)
    assert location is not None
    assert location.block.header.timestamp == START + 136


def test_a_hold_forever_lasts_until_release_which_automine_follows_at_once() -> None:
    chain = new_chain()
    chain.admission_hooks.append(lambda tx: chain.hold(tx.hash))
    first = send(chain)
    chain.admission_hooks.clear()
    second = send(chain)  # behind the held nonce: waits too
    chain.mine(3)
    assert chain.receipt(first) is None
    assert chain.receipt(second) is None
    assert chain.release(first)
    assert not chain.release(first)
    assert chain.receipt(first) is not None
    assert chain.receipt(second) is not None
    with pytest.raises(InvalidRequest, match="is not in the pool"):
        chain.hold(first)


def test_a_hook_may_drop_what_it_is_shown_the_sender_still_got_a_hash() -> None:
    chain = new_chain()
    announced: list[Hash32] = []
    chain.pending_listeners.append(lambda tx: announced.append(tx.hash))
    chain.admission_hooks.append(lambda tx: chain.drop_transaction(tx.hash) and None)
    tx_hash = send(chain)
    assert announced == [tx_hash]  # announced before the hook acted
    assert chain.head.number == 0
    assert chain.transaction(tx_hash) is None


def test_replace_bumps_both_fees_keeps_the_nonce_and_wins() -> None:
    chain = new_chain(automine=False)
    original = pooled(chain, send(chain, value=7))
    replacement = chain.replace_transaction(original.hash)
    assert (replacement.sender, replacement.nonce, replacement.to, replacement.value) == (
        original.sender,
        original.nonce,
        original.to,
        7,
    )
    assert replacement.max_fee_per_gas == bumped(original.max_fee_per_gas, 10)
    assert replacement.max_priority_fee_per_gas == original.max_priority_fee_per_gas * 11 // 10
    assert txcodec.decode(replacement.raw) == replacement  # a dev key: really signed
    assert chain.transaction(original.hash) is None
    chain.mine()
    assert [tx.hash for tx in chain.head.transactions] == [replacement.hash]
    with pytest.raises(InvalidRequest):
        chain.replace_transaction(replacement.hash)  # mined, not pooled


def test_replace_as_a_cancel_and_for_a_legacy_transaction() -> None:
    chain = new_chain(automine=False)
    legacy = pooled(chain, send(chain, value=7, gas_price=3 * GWEI))
    cancel = chain.replace_transaction(legacy.hash, fee_bump_percent=50, cancel=True)
    assert cancel.type == 0
    assert cancel.gas_price == cancel.max_fee_per_gas == 4_500_000_000
    assert (cancel.to, cancel.value, cancel.data, cancel.gas) == (legacy.sender, 0, b"", 21000)
    with pytest.raises(TxRejected, match="replacement transaction underpriced"):
        chain.replace_transaction(cancel.hash, fee_bump_percent=5)


def test_replace_a_transaction_signed_elsewhere_and_with_automine() -> None:
    chain = new_chain()
    chain.set_balance(OUTSIDER_ADDRESS, ETHER)
    chain.admission_hooks.append(lambda tx: chain.hold(tx.hash) if not tx.impersonated else None)
    signed = OUTSIDER.sign_transaction(
        {
            "chainId": 31337,
            "nonce": 0,
            "to": "0x" + "55" * 20,
            "value": 3,
            "gas": 21000,
            "maxFeePerGas": 3 * GWEI,
            "maxPriorityFeePerGas": GWEI,
        }
    )
    original = chain.send_raw_transaction(bytes(signed.raw_transaction))
    assert chain.receipt(original) is None  # held by the hook
    replacement = chain.replace_transaction(original)
    # The node holds no key for it: a third party's transaction, placeholder-signed.
    assert replacement.impersonated
    assert replacement.sender == OUTSIDER_ADDRESS
    location = chain.receipt(replacement.hash)  # automine mined it at once
    assert location is not None
    assert location.receipt.success
    assert chain.transaction(original) is None
    assert chain.balance(Address(b"\x55" * 20), LATEST) == 3
