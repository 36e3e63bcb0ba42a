"""Chain.mined_hooks: called with each mined block after every block listener heard it,
never for a reorg's new blocks, and free to change the chain (the fault layer reorgs and
releases held transactions there)."""

from __future__ import annotations

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.records import Block
from mocknode.types import Hash32


def new_chain(**options: object) -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=12), **options))  # type: ignore[arg-type]


def send(chain: Chain) -> Hash32:
    return chain.send_transaction(
        TxArgs(sender=chain.accounts[0].address, to=chain.accounts[9].address, value=1)
    )


def test_hooks_run_after_every_listener_and_not_for_reorg_blocks() -> None:
    chain = new_chain()
    heard: list[tuple[str, int, bool]] = []
    chain.block_listeners.append(lambda block, removed: heard.append(("a", block.number, removed)))
    chain.mined_hooks.append(lambda block: heard.append(("hook", block.number, False)))
    chain.block_listeners.append(lambda block, removed: heard.append(("b", block.number, removed)))
    chain.mine(2)
    send(chain)  # automine: block 3
    chain.reorg(1)
    assert heard == [
        ("a", 1, False),
        ("b", 1, False),
        ("hook", 1, False),
        ("a", 2, False),
        ("b", 2, False),
        ("hook", 2, False),
        ("a", 3, False),
        ("b", 3, False),
        ("hook", 3, False),
        ("a", 3, True),  # the reorg: orphan, then its new block, no hook
        ("b", 3, True),
        ("a", 3, False),
        ("b", 3, False),
    ]


def test_a_hook_may_reorg_the_block_it_was_told_of() -> None:
    chain = new_chain()
    heard: list[tuple[bytes, bool]] = []
    chain.block_listeners.append(lambda block, removed: heard.append((block.hash, removed)))
    mined: list[Block] = []

    def reorg_it(block: Block) -> None:
        mined.append(block)
        chain.reorg(1, reinclude="same")

    chain.mined_hooks.append(reorg_it)
    tx_hash = send(chain)
    (block,) = mined
    replacement = chain.head
    assert replacement.number == block.number == 1
    assert replacement.hash != block.hash
    assert heard == [(block.hash, False), (block.hash, True), (replacement.hash, False)]
    location = chain.receipt(tx_hash)
    assert location is not None
    assert location.block is replacement
