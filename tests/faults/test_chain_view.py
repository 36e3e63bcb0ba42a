"""The read-only chain views behind stale_head, replicas and pruned_state, on a chain
directly (no sockets): what they resolve, what they hide, and that they never write."""

from __future__ import annotations

import pytest

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.errors import BlockNotFound, ChainError
from mocknode.faults.chain_view import LaggedChain, PrunedChain, lagged_head, missing_trie_node
from mocknode.types import LATEST, PENDING, BlockRef, Hash32


def new_chain() -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=12)))


def pay(chain: Chain, sender: int = 0) -> Hash32:
    return chain.send_transaction(
        TxArgs(sender=chain.accounts[sender].address, to=chain.accounts[9].address, value=1)
    )


def test_a_lagged_view_ends_at_its_head() -> None:
    chain = new_chain()
    hashes = [pay(chain) for _ in range(4)]  # blocks 1..4
    view = LaggedChain(chain, 2)
    assert view.head is chain.blocks[2]
    assert view.resolve(LATEST) is chain.blocks[2]
    assert view.resolve(PENDING) is chain.blocks[2]
    assert view.resolve(BlockRef(tag="earliest")) is chain.blocks[0]
    assert view.resolve(BlockRef(number=2)) is chain.blocks[2]
    with pytest.raises(BlockNotFound) as by_number:
        view.resolve(BlockRef(number=3))
    assert by_number.value.message == "header not found"
    above = chain.blocks[3].hash
    with pytest.raises(BlockNotFound) as by_hash:
        view.resolve(BlockRef(block_hash=above))
    with pytest.raises(BlockNotFound) as unknown:
        chain.resolve(BlockRef(block_hash=Hash32(b"\x01" * 32)))
    # the same words as for a block the chain never had
    assert by_hash.value.message == unknown.value.message.replace("01" * 32, above.hex())
    assert view.block_by_hash(above) is None
    assert view.block_by_number(3) is None
    assert view.receipt(hashes[1]) is not None
    assert view.receipt(hashes[2]) is None
    assert view.transaction(hashes[3]) is None
    assert [b.number for b in view.blocks] == [0, 1, 2]
    assert chain.head.number == 4  # the chain is untouched


def test_a_lagged_view_reads_the_state_of_its_head() -> None:
    chain = new_chain()
    alice = chain.accounts[0].address
    for _ in range(3):
        pay(chain)
    chain.set_balance(alice, 5)  # a dev edit after the head: only the real head sees it
    view = LaggedChain(chain, 1)
    assert view.nonce(alice, LATEST) == 1
    assert view.nonce(alice, PENDING) == 1  # the nonce flip-flop behind a load balancer
    assert chain.nonce(alice, PENDING) == 3
    assert view.balance(alice, LATEST) == chain.balance(alice, BlockRef(number=1))
    assert chain.balance(alice, LATEST) == 5
    assert LaggedChain(chain, 3).balance(alice, LATEST) == 5  # the head itself: edits too
    assert view.call(TxArgs(sender=alice, to=alice), LATEST) == b""


def test_lagged_head_never_goes_below_genesis() -> None:
    assert lagged_head(10, 3) == 7
    assert lagged_head(2, 5) == 0


def test_views_refuse_to_write() -> None:
    chain = new_chain()
    pay(chain)
    view = LaggedChain(chain, 0)
    for write in (
        lambda: view.mine(),
        lambda: view.send_transaction(TxArgs(sender=chain.accounts[0].address)),
        lambda: view.reorg(1),
        lambda: view.set_balance(chain.accounts[0].address, 1),
        lambda: view.canon.append(chain.head, 0),
    ):
        with pytest.raises(RuntimeError, match="read-only"):
            write()
    assert chain.head.number == 1
    assert len(chain.canon.blocks) == 2


def test_a_pruned_view_keeps_recent_state_and_genesis() -> None:
    chain = new_chain()
    alice = chain.accounts[0].address
    for _ in range(5):
        pay(chain)
    view = PrunedChain(chain, 2)  # blocks 4 and 5 keep their state
    assert view.balance(alice, LATEST) == chain.balance(alice, LATEST)
    assert view.nonce(alice, BlockRef(number=4)) == 4
    assert view.nonce(alice, BlockRef(tag="earliest")) == 0
    with pytest.raises(ChainError) as refused:
        view.nonce(alice, BlockRef(number=3))
    block = chain.blocks[3]
    assert refused.value.message == missing_trie_node(block)
    assert refused.value.message == (
        f"missing trie node {block.header.state_root.hex()} (path ) <nil>"
    )
    with pytest.raises(ChainError, match="missing trie node"):
        view.call(TxArgs(sender=alice, to=alice), BlockRef(block_hash=chain.blocks[1].hash))
    assert PrunedChain(chain, 0).resolve(BlockRef(number=0)) is chain.blocks[0]
    with pytest.raises(ChainError, match="missing trie node"):
        PrunedChain(chain, 0).resolve(LATEST)  # nothing kept but genesis
