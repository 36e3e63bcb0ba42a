"""A chain saved as a state document and rebuilt from it, without sockets: every block,
receipt, log, historical state, the pool and time travel come back identical, the next
block is the same block, and a damaged or foreign document is refused whole."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from chain_helpers import deploy_greeter
from eth_abi import encode

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock, VirtualClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import LogFilter, query_logs
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.tx.pool import Hold
from mocknode.persist.document import (
    VERSION,
    load_document,
    read_document,
    state_document,
)
from mocknode.persist.errors import StateFileError
from mocknode.persist.files import decode_document, encode_document
from mocknode.types import LATEST, Address, BlockRef
from mocknode.values import replace

LOGGER = Address(b"\x10" * 20)
LOGGER_CODE = bytes.fromhex("60003560006000a100")  # LOG1(first calldata word); STOP
WHALE = Address(b"\x77" * 20)  # impersonated: sends without a key
EDITED = Address(b"\xed" * 20)
# Creation code that self-destructs at once (to the caller): an account created and
# deleted in one transaction, so a commit records it as gone.
SELF_DESTRUCT_INITCODE = bytes.fromhex("33ff")


def config(**options: Any) -> ChainConfig:
    return ChainConfig(clock=FixedClock(start=1_700_000_000, step=12), **options)


def topic(n: int) -> bytes:
    return n.to_bytes(32, "big")


def busy_chain() -> Chain:
    """A chain with something of everything a state holds: contract creations, logs,
    dev edits between blocks and after the head, an impersonated sender, a deleted
    account, a reorg, time travel, and a pool whose sender order differs from its
    order of arrival, with a hold."""
    chain = Chain(config(chain_id=5))
    alice, bob, carol = (account.address for account in chain.accounts[:3])
    greeter = deploy_greeter(chain)
    chain.send_transaction(
        TxArgs(
            sender=bob,
            to=greeter,
            data=keccak(b"setGreeting(string)")[:4] + encode(["string"], ["saved"]),
        )
    )
    chain.set_code(LOGGER, LOGGER_CODE)
    for n in range(3):
        chain.send_transaction(TxArgs(sender=alice, to=LOGGER, data=topic(n), gas=30_000))
    chain.set_balance(EDITED, 123)
    chain.set_storage(greeter, 7, 9)
    chain.set_nonce(carol, 40)
    chain.signers.impersonate(WHALE)
    chain.set_balance(WHALE, 10**20)
    chain.send_transaction(TxArgs(sender=WHALE, to=bob, value=1))
    chain.send_transaction(TxArgs(sender=carol, data=SELF_DESTRUCT_INITCODE))
    chain.time.increase(100)
    chain.mine(2)
    chain.send_transaction(TxArgs(sender=alice, to=LOGGER, data=topic(9), gas=30_000))
    chain.rollback(1)  # back to the pool ...
    chain.mine()  # ... and mined again, on the new branch
    chain.set_automine(False)
    # Alice's two and Bob's one, equal tips: block order follows the senders' order in
    # the pool, which after Alice's first is mined (Alice, Bob) is not the order they
    # arrived in (Bob's, then Alice's second).
    chain.send_transaction(TxArgs(sender=alice, to=carol, value=1))
    chain.send_transaction(TxArgs(sender=bob, to=carol, value=2))
    chain.send_transaction(TxArgs(sender=alice, to=carol, value=3))
    chain.mine_block(max_transactions=1)
    held = chain.send_transaction(TxArgs(sender=carol, to=alice, value=4))
    chain.hold(held, not_before_block=chain.head.number + 5)
    chain.send_transaction(TxArgs(sender=bob, to=alice, value=5, nonce=99))  # a nonce gap
    chain.set_balance(EDITED, 456)  # after the head
    chain.time.increase(7)
    return chain


def as_json(document: dict[str, Any]) -> Any:
    """The document as it comes back from a file."""
    return decode_document(encode_document(document))


def reloaded(chain: Chain, **options: Any) -> Chain:
    fresh = Chain(config(**options))
    load_document(fresh, as_json(state_document(chain)))
    return fresh


def assert_same_chain(a: Chain, b: Chain) -> None:
    assert [block.hash for block in a.blocks] == [block.hash for block in b.blocks]
    assert a.blocks == b.blocks  # headers, transactions, receipts, sizes: field by field
    assert a.canon.commits == b.canon.commits
    assert a.state.head == b.state.head
    assert a.state.diffs_after(-1) == b.state.diffs_after(-1)  # every historical state
    assert a.state.state_root == b.state.state_root
    for block in a.blocks:
        reader_a, reader_b = a.state_at(block), b.state_at(b.blocks[block.number])
        for address in (EDITED, WHALE, LOGGER, *(dev.address for dev in a.accounts[:3])):
            assert reader_a.account(address) == reader_b.account(address)
    everything = LogFilter(from_block=BlockRef(number=0), to_block=LATEST)
    assert query_logs(a, everything) == query_logs(b, everything)
    assert list(a.pool) == list(b.pool)
    assert a.pool.senders() == b.pool.senders()
    assert [a.pool.held(tx.hash) for tx in a.pool] == [b.pool.held(tx.hash) for tx in b.pool]
    assert a.time.capture() == b.time.capture()
    assert replace(a.config, clock=b.config.clock) == b.config


def test_round_trip_is_exact_and_the_next_block_is_the_same_block() -> None:
    chain = busy_chain()
    copy_ = reloaded(chain)
    assert_same_chain(chain, copy_)
    assert any(tx.impersonated for block in chain.blocks for tx in block.transactions)
    assert any(
        block.number and block.header.state_root != chain.blocks[block.number - 1].header.state_root
        for block in chain.blocks
    )
    assert len(chain.pool) == 4
    assert chain.pool.holding

    # Keep going on both: the pool's order decides the next block, time travel its stamp.
    copy_.set_automine(False)  # mining mode is the loading node's: make it the same
    first, second = chain.mine(1)[0], copy_.mine(1)[0]
    assert first == second
    assert [tx.value for tx in first.transactions] == [3, 2]  # Alice's before Bob's
    chain.send_transaction(TxArgs(sender=chain.accounts[0].address, to=LOGGER, data=topic(5)))
    copy_.send_transaction(TxArgs(sender=copy_.accounts[0].address, to=LOGGER, data=topic(5)))
    assert chain.mine(6) == copy_.mine(6)  # the held one included once its block comes
    assert_same_chain(chain, copy_)


def test_a_document_read_back_writes_the_same_document() -> None:
    chain = busy_chain()
    document = state_document(chain)
    assert state_document(reloaded(chain)) == document
    assert document["version"] == VERSION
    assert document["format"] == "mocknode-state"
    assert document["chain"]["chain_id"] == "0x5"


def test_the_chain_settings_come_back_and_the_node_settings_stay() -> None:
    chain = busy_chain()  # chain id 5, automine off, WHALE impersonated
    fresh = reloaded(chain, chain_id=31337, gas_limit=20_000_000)
    assert fresh.config.chain_id == 5
    assert fresh.config.gas_limit == 30_000_000
    assert fresh.automine is True  # the loading chain's mining mode
    assert not fresh.signers.is_impersonated(WHALE)


def test_the_environment_cheats_settings_come_back() -> None:
    """devctl's settings: the configured ChainConfig fields (gas price, order, code size
    limit, coinbase) and the chain's DevEnv (next base fee and prevRandao, timestamp
    interval) survive a document; the next block is the same block on both chains."""
    chain = Chain(config())
    chain.set_automine(False)
    chain.configure(
        gas_price=7, tx_order="fifo", code_size_limit=30_000, coinbase=Address(b"\xc0" * 20)
    )
    randao = keccak(b"randao")
    chain.set_dev_env(next_base_fee=123, next_prev_randao=randao, timestamp_interval=60)
    chain.send_transaction(TxArgs(sender=chain.accounts[0].address, to=LOGGER, value=1))
    document = as_json(state_document(chain))
    assert document["dev_env"] == {
        "next_base_fee": "0x7b",
        "next_prev_randao": "0x" + randao.hex(),
        "timestamp_interval": "0x3c",
    }
    fresh = Chain(config())
    fresh.set_automine(False)
    load_document(fresh, document)
    assert fresh.dev_env == chain.dev_env
    assert (fresh.config.gas_price, fresh.config.tx_order, fresh.config.code_size_limit) == (
        7,
        "fifo",
        30_000,
    )
    assert fresh.config.coinbase == Address(b"\xc0" * 20)
    assert fresh.pool.fifo
    assert fresh.gas_price() == 7
    mined = chain.mine(1)[0]
    assert mined == fresh.mine(1)[0]
    assert mined.header.base_fee_per_gas == 123
    assert mined.header.mix_hash == randao
    assert mined.header.timestamp == chain.blocks[0].header.timestamp + 60


def test_a_document_without_dev_env_loads_with_none() -> None:
    chain = Chain(config())
    chain.set_dev_env(timestamp_interval=5)
    document = as_json(state_document(chain))
    del document["dev_env"]  # as written before the field existed
    fresh = Chain(config())
    fresh.set_dev_env(next_base_fee=9)
    load_document(fresh, document)
    assert fresh.dev_env.timestamp_interval is None
    assert fresh.dev_env.next_base_fee is None


def test_a_bad_tx_order_is_refused() -> None:
    document = as_json(state_document(Chain(config())))
    document["chain"]["tx_order"] = "random"
    with pytest.raises(StateFileError, match="chain tx_order: expected one of"):
        read_document(document, config())


def test_loading_forgets_snapshots_and_is_silent() -> None:
    chain = busy_chain()
    target = Chain(config())
    snap = target.snapshot()
    heard: list[object] = []
    target.block_listeners.append(lambda block, removed: heard.append(block))
    load_document(target, as_json(state_document(chain)))
    assert heard == []
    assert target.revert(snap) is False


def test_a_virtual_clock_gets_its_time_back() -> None:
    chain = Chain(ChainConfig(clock=VirtualClock(1_000)))
    chain.time.advance(500)
    target_clock = VirtualClock(0)
    target = Chain(ChainConfig(clock=target_clock))
    load_document(target, as_json(state_document(chain)))
    assert target_clock.now == 1_500
    wall = Chain(config())  # a node without virtual time ignores it
    load_document(wall, as_json(state_document(chain)))
    assert wall.head.hash == chain.head.hash


def damaged(edit: Any) -> Any:
    document = as_json(state_document(busy_chain()))
    edit(document)
    return document


def set_balance_in_commit(document: Any) -> None:
    commit = document["commits"][3]
    address = next(iter(commit["accounts"]))
    commit["accounts"][address][1] = "0x1"


def flip_receipt_status(document: Any) -> None:
    block = next(b for b in document["blocks"] if b["receipts"])
    block["receipts"][0][0] ^= 1


def drop_a_block(document: Any) -> None:
    del document["blocks"][2]


def bad_header(document: Any) -> None:
    document["blocks"][1]["header"] = document["blocks"][1]["header"][:-2]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (set_balance_in_commit, r"block \d+: the state does not hash to its state root"),
        (flip_receipt_status, r"block \d+: its receipts do not match the header's root"),
        (drop_a_block, r"block 3: found where block 2 belongs"),
        (bad_header, r"block 1: "),
        (lambda d: d.pop("pool"), r"state: missing 'pool'"),
        (lambda d: d["codes"].clear(), r"commit 0 account 0x[0-9a-f]{40}: no code with hash"),
        (lambda d: d["time"].update(offset="7"), r"time offset: expected an integer"),
        (lambda d: d["chain"].update(chain_id=5), r"chain chain_id: expected a 0x-prefixed hex"),
    ],
)
def test_a_damaged_document_is_refused_and_changes_nothing(edit: Any, message: str) -> None:
    document = damaged(edit)
    target = Chain(config())
    before = (target.head.hash, target.state.head, target.config)
    with pytest.raises(StateFileError, match=message):
        load_document(target, document)
    assert (target.head.hash, target.state.head, target.config) == before


def test_versions() -> None:
    chain = Chain(config())
    document = as_json(state_document(chain))

    older = copy.deepcopy(document)
    older["written_by"] = "mocknode 0.0.1"  # same format version from another release: loads
    load_document(Chain(config()), older)

    newer = copy.deepcopy(document)
    newer["version"] = VERSION + 1
    newer["written_by"] = "mocknode 9.0.0"
    with pytest.raises(
        StateFileError,
        match=rf"state version {VERSION + 1} was written by mocknode 9\.0\.0; this mocknode "
        rf"\(.+\) reads versions up to {VERSION}: upgrade mocknode to load it",
    ):
        read_document(newer, chain.config)

    for version in (0, "1", None):
        with pytest.raises(StateFileError, match="unknown state version"):
            read_document({**document, "version": version}, chain.config)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"block": {}, "accounts": {}, "best_block_number": "0x0"}', "an anvil state dump"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"format": "x"}', 'no "format": "mocknode-state"'),
    ],
)
def test_foreign_documents_say_what_they_are(data: bytes, message: str) -> None:
    with pytest.raises(StateFileError, match=message):
        read_document(decode_document(data), config())


def test_bytes_plain_or_gzipped() -> None:
    document = state_document(busy_chain())  # blocks to compress: an empty chain is small
    plain, zipped = encode_document(document), encode_document(document, compress=True)
    assert zipped[:2] == b"\x1f\x8b"
    assert len(zipped) < len(plain) / 3
    assert decode_document(plain) == decode_document(zipped) == json.loads(plain)
    assert encode_document(document, compress=True) == zipped  # no timestamp inside
    with pytest.raises(StateFileError, match="not JSON"):
        decode_document(b"\x00garbage")
    with pytest.raises(StateFileError, match="bad gzip data"):
        decode_document(b"\x1f\x8b\x08garbage")


def test_pool_restored_keeps_both_orders_and_drops_stray_holds() -> None:
    chain = busy_chain()
    pool = chain.pool
    senders = pool.senders()
    assert next(tx.sender for tx in pool) != senders[0]  # the orders differ here
    from mocknode.chain.tx.pool import Pool

    stray = {tx.hash: Hold(1) for tx in pool} | {keccak(b"gone"): Hold(2)}  # type: ignore[dict-item]
    clone = Pool.restored(list(pool), senders, stray)
    assert list(clone) == list(pool)
    assert clone.senders() == senders
    assert len(clone._holds) == len(pool)
