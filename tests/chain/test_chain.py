"""The chain state machine directly, without JSON or sockets."""

from __future__ import annotations

from pathlib import Path

import pytest
import rlp as rlp_ref
from chain_helpers import deploy_greeter
from eth_utils import ValidationError
from trie import HexaryTrie

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import GWEI, ChainConfig
from mocknode.chain.errors import ExecutionFailed, TxRejected
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Tx
from mocknode.chain.state.world import WorldState
from mocknode.types import LATEST, PENDING, Address, BlockRef

ARTIFACTS = Path(__file__).resolve().parents[2] / "fixtures" / "artifacts"


def fixed_chain(**options: object) -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=12), **options))  # type: ignore[arg-type]


def addresses(chain: Chain) -> tuple[Address, Address]:
    return chain.accounts[0].address, chain.accounts[1].address


def full_state_root(state: WorldState) -> bytes:
    """The state root recomputed from scratch with py-trie, from the flat latest state."""
    reader = state.reader()
    accounts = HexaryTrie({})
    for address in state._accounts:
        account = reader.account(address)
        if account is None:
            continue
        storage = HexaryTrie({})
        for slot in state._storage.get(address, {}):
            value = reader.storage(address, slot)
            if value:
                storage[keccak(slot.to_bytes(32, "big"))] = rlp_ref.encode(value)
        accounts[keccak(address)] = rlp_ref.encode(
            [account.nonce, account.balance, storage.root_hash, account.code_hash]
        )
    return accounts.root_hash


def test_genesis_is_funded_and_deterministic() -> None:
    a = fixed_chain()
    b = fixed_chain()
    assert a.head.hash == b.head.hash
    assert a.head.number == 0
    assert a.head.header.base_fee_per_gas == GWEI
    assert a.head.header.gas_limit == 30_000_000
    for account in a.accounts:
        assert a.balance(account.address, LATEST) == 10_000 * 10**18
    assert a.head.header.state_root == full_state_root(a.state)


def test_same_config_and_traffic_give_the_same_block_hashes() -> None:
    hashes = []
    for _ in range(2):
        chain = fixed_chain()
        alice, bob = addresses(chain)
        for i in range(3):
            chain.send_transaction(TxArgs(sender=alice, to=bob, value=i + 1))
        deploy_greeter(chain)
        hashes.append([block.hash for block in chain.blocks])
    assert hashes[0] == hashes[1]
    assert len(hashes[0]) == 5


def test_incremental_state_root_matches_a_full_recomputation() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=10**18))
    greeter = deploy_greeter(chain)
    selector = keccak(b"setGreeting(string)")[:4]
    from eth_abi import encode

    chain.send_transaction(
        TxArgs(sender=bob, to=greeter, data=selector + encode(["string"], ["x" * 40]))
    )
    chain.set_balance(Address(b"\x42" * 20), 7)
    chain.mine()
    assert chain.head.header.state_root == full_state_root(chain.state)


def test_a_transfer_moves_exactly_value_plus_fee() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    before = chain.balance(alice, LATEST)
    tx_hash = chain.send_transaction(TxArgs(sender=alice, to=bob, value=12345))
    location = chain.receipt(tx_hash)
    assert location is not None
    receipt = location.receipt
    assert receipt.gas_used == 21000
    base_fee = location.block.header.base_fee_per_gas
    assert base_fee == 875_000_000  # genesis used no gas: 1 gwei falls by 1/8
    assert receipt.effective_gas_price == base_fee + GWEI
    assert chain.balance(alice, LATEST) == before - 12345 - 21000 * receipt.effective_gas_price
    assert chain.balance(bob, LATEST) == 10_000 * 10**18 + 12345
    assert chain.balance(alice, BlockRef(number=0)) == before


def test_nonce_gap_waits_in_the_pool_until_filled() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    gap = chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, nonce=1, gas=21000))
    assert chain.head.number == 0
    assert chain.receipt(gap) is None
    assert chain.nonce(alice, PENDING) == 0  # the gap is not part of the pending run
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, nonce=0, gas=21000))
    assert chain.head.number == 2
    assert chain.receipt(gap) is not None


def test_pool_errors_use_geths_words() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
    with pytest.raises(TxRejected, match=r"^nonce too low: next nonce 1, tx nonce 0$"):
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, nonce=0, gas=21000))
    with pytest.raises(
        TxRejected, match=r"^intrinsic gas too low: gas 20000, minimum needed 21000$"
    ):
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, gas=20000))
    with pytest.raises(
        TxRejected, match=r"^insufficient funds for gas \* price \+ value: balance "
    ):
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=10**30, gas=21000))
    with pytest.raises(TxRejected, match=r"^exceeds block gas limit$"):
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, gas=30_000_001))


def test_snapshot_survives_revert_and_restores_everything() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
    base = chain.snapshot("base")
    head = chain.head.hash
    for _ in range(2):
        chain.set_automine(False)
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=5, gas=21000))  # pending
        chain.time.increase(3600)
        chain.set_balance(bob, 1)
        chain.mine()
        assert chain.head.number == 2
        assert chain.revert("base")
        assert chain.head.hash == head
        assert chain.automine
        assert len(chain.pool) == 0
        assert chain.time.offset == 0
        assert chain.balance(bob, LATEST) == 10_000 * 10**18 + 1
    assert chain.revert(base)


def test_a_revert_keeps_the_dev_edits_made_before_the_snapshot() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    stranger = Address(b"\x42" * 20)
    chain.set_balance(stranger, 5)
    chain.set_storage(stranger, 1, 7)
    right_away = chain.snapshot()
    assert chain.revert(right_away)
    assert chain.balance(stranger, LATEST) == 5
    chain.set_nonce(stranger, 3)
    before_blocks = chain.snapshot()
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
    chain.set_balance(stranger, 6)
    chain.mine()
    assert chain.revert(before_blocks)
    assert chain.head.number == 0
    assert chain.balance(stranger, LATEST) == 5
    assert chain.nonce(stranger, LATEST) == 3
    assert chain.storage(stranger, 1, LATEST) == 7
    assert chain.balance(alice, LATEST) == 10_000 * 10**18
    assert chain.state.state_root == full_state_root(chain.state)


def test_later_snapshots_die_with_their_blocks() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    early = chain.snapshot()
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
    late = chain.snapshot()
    assert chain.revert(early)
    assert not chain.revert(late)
    assert chain.revert(early)


def test_history_reads_see_the_past() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    for _ in range(5):
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=10**18))
    for n in range(6):
        assert chain.balance(bob, BlockRef(number=n)) == (10_000 + n) * 10**18
        assert chain.nonce(alice, BlockRef(number=n)) == n


def test_time_travel_and_forced_timestamps() -> None:
    chain = fixed_chain()
    chain.mine()
    assert chain.head.header.timestamp == 1_700_000_012
    chain.time.increase(100)
    chain.mine()
    assert chain.head.header.timestamp == 1_700_000_124
    chain.set_next_timestamp(1_800_000_000)
    chain.mine()
    assert chain.head.header.timestamp == 1_800_000_000
    chain.mine()
    assert chain.head.header.timestamp == 1_800_000_012


def test_call_revert_reason_and_estimate() -> None:
    chain = fixed_chain()
    greeter = deploy_greeter(chain)
    alice = chain.accounts[0].address
    with pytest.raises(ExecutionFailed) as failure:
        chain.call(TxArgs(sender=alice, to=greeter, data=keccak(b"fail()")[:4]), LATEST)
    assert failure.value.message == "execution reverted: Greeter: always fails"
    assert failure.value.revert_data[:4] == bytes.fromhex("08c379a0")
    greet = chain.call(TxArgs(to=greeter, data=keccak(b"greet()")[:4]), LATEST)
    from eth_abi import decode

    assert decode(["string"], greet) == ("hello",)
    increment = TxArgs(sender=alice, to=greeter, data=keccak(b"increment()")[:4])
    estimate = chain.estimate_gas(increment, LATEST)
    tx_hash = chain.send_transaction(increment)
    location = chain.receipt(tx_hash)
    assert location is not None
    assert location.receipt.success
    assert location.receipt.gas_used <= estimate <= location.receipt.gas_used * 1.1 + 2300


def test_block_building_is_atomic_when_execution_raises() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    head, root = chain.head.hash, chain.state.state_root
    # A transaction the pool's checks would refuse (gas below intrinsic), put in behind
    # them: executing it raises inside py-evm.
    broken = signed_transfer(chain, gas=20000)
    chain.pool.add(broken)
    with pytest.raises(ValidationError):
        chain.mine()
    assert chain.head.hash == head
    assert chain.state.state_root == root
    assert len(chain.pool) == 0
    assert chain.receipt(broken.hash) is None
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, gas=21000))
    assert chain.head.number == 1


def signed_transfer(chain: Chain, gas: int) -> Tx:
    from mocknode.chain.tx import codec as txcodec

    sender = chain.accounts[0]
    return txcodec.sign(
        private_key=sender.private_key,
        sender=sender.address,
        chain_id=chain.config.chain_id,
        tx_type=2,
        nonce=0,
        gas=gas,
        to=chain.accounts[1].address,
        value=1,
        data=b"",
        max_fee_per_gas=2 * GWEI,
        max_priority_fee_per_gas=GWEI,
    )


def test_built_in_default_accounts_are_what_derivation_gives() -> None:
    from mocknode.chain.tx.keys import (
        DEFAULT_MNEMONIC,
        DEFAULT_PATH_PREFIX,
        _derive_accounts,
        derive_accounts,
    )

    assert derive_accounts(DEFAULT_MNEMONIC, 20) == _derive_accounts(
        DEFAULT_MNEMONIC, 20, DEFAULT_PATH_PREFIX
    )
    assert derive_accounts(DEFAULT_MNEMONIC, 21)[:20] == derive_accounts(DEFAULT_MNEMONIC, 20)
    assert derive_accounts()[0].address.hex() == "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"


def test_snapshots_taken_at_the_same_point_share_one_record() -> None:
    """A snapshot per test over JSON-RPC (setup) reverted at teardown: every one is taken
    at the same clean state, and each would otherwise stay in memory for good."""
    chain = fixed_chain()
    alice, bob = addresses(chain)
    ids = []
    for _ in range(50):
        ids.append(chain.snapshot())
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
        assert chain.revert(ids[-1])
    records = dict(chain.snapshots_taken())
    assert list(records) == ids
    assert len({id(records[i]) for i in ids}) == 1
    # Every id still names its snapshot.
    for snap_id in (ids[0], ids[-1], ids[25]):
        chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
        assert chain.revert(snap_id)
        assert chain.head.number == 0
        assert chain.balance(bob, LATEST) == 10_000 * 10**18


def test_snapshots_at_different_points_keep_their_own_records() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    first = chain.snapshot()
    chain.set_automine(False)
    pending = chain.snapshot()  # the mining mode differs
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1, gas=21000))
    with_tx = chain.snapshot()  # the pool differs
    chain.time.increase(60)
    later = chain.snapshot()  # the time differs
    chain.set_automine(True)
    chain.mine()
    mined = chain.snapshot()  # the head differs
    chain.set_balance(bob, 5)
    edited = chain.snapshot()  # the state differs
    records = dict(chain.snapshots_taken())
    ids = [first, pending, with_tx, later, mined, edited]
    assert len({id(records[i]) for i in ids}) == len(ids)
    assert chain.revert(with_tx)
    assert [tx.value for tx in chain.pool] == [1]
    assert not chain.automine
    assert chain.time.offset == 0
    assert chain.revert(first)
    assert len(chain.pool) == 0
    assert chain.automine


def test_a_reorg_keeps_shared_snapshot_records_shared() -> None:
    chain = fixed_chain()
    alice, bob = addresses(chain)
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
    chain.send_transaction(TxArgs(sender=alice, to=bob, value=2))
    head = chain.head.hash
    ids = [chain.snapshot() for _ in range(3)]
    chain.reorg(1)
    assert chain.head.hash != head
    records = dict(chain.snapshots_taken())
    assert len({id(records[i]) for i in ids}) == 1
    for snap_id in ids:
        assert chain.revert(snap_id)
        assert chain.head.hash == head
