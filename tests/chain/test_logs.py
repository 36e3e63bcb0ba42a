"""Log queries through the index agree with a plain scan of every block."""

from __future__ import annotations

import itertools

from chain_helpers import deploy_greeter
from eth_abi import encode

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import LogFilter, block_logs, query_logs
from mocknode.chain.primitives.hashing import keccak
from mocknode.types import Address, BlockRef, Hash32

CHANGED = Hash32(keccak(b"GreetingChanged(address,string)"))
DEPOSITED = Hash32(keccak(b"Deposited(address,uint256)"))


def scan(chain: Chain, filt: LogFilter, start: int, end: int) -> list[tuple[int, int]]:
    return [
        (entry.block.number, entry.log_index)
        for number in range(start, end + 1)
        for entry in block_logs(chain.blocks[number], filt)
    ]


def busy_chain() -> tuple[Chain, list[Address], list[Address]]:
    chain = Chain(ChainConfig(clock=FixedClock()))
    greeters = [deploy_greeter(chain) for _ in range(2)]
    senders = [a.address for a in chain.accounts[:3]]
    set_greeting = keccak(b"setGreeting(string)")[:4]
    deposit = keccak(b"deposit()")[:4]
    for i, (greeter, sender) in enumerate(itertools.product(greeters, senders)):
        data = set_greeting + encode(["string"], [f"hello {i}"])
        chain.send_transaction(TxArgs(sender=sender, to=greeter, data=data))
        chain.send_transaction(TxArgs(sender=sender, to=greeter, data=deposit, value=i + 1))
        chain.mine()  # an empty block between, so ranges cross blocks without logs
    return chain, greeters, senders


def test_index_matches_a_full_scan_for_every_kind_of_filter() -> None:
    chain, greeters, senders = busy_chain()
    head = chain.head.number
    by = [Hash32(bytes(12) + s) for s in senders]
    filters = [
        LogFilter(),
        LogFilter(addresses=(greeters[0],)),
        LogFilter(addresses=tuple(greeters)),
        LogFilter(topics=((CHANGED,),)),
        LogFilter(topics=((CHANGED, DEPOSITED),)),
        LogFilter(topics=(None, (by[1],))),
        LogFilter(addresses=(greeters[1],), topics=((DEPOSITED,), (by[0], by[2]))),
        LogFilter(addresses=(Address(b"\x01" * 20),)),
        LogFilter(topics=((DEPOSITED,), None)),  # a trailing wildcard demands two topics
        LogFilter(addresses=(greeters[0],), topics=(None, None, None)),
    ]
    for filt, (start, end) in itertools.product(filters, [(0, head), (3, 9), (5, 5), (head, head)]):
        ranged = LogFilter(
            BlockRef(number=start), BlockRef(number=end), None, filt.addresses, filt.topics
        )
        got = [(e.block.number, e.log_index) for e in query_logs(chain, ranged)]
        assert got == scan(chain, filt, start, end), (filt, start, end)
    assert len(query_logs(chain, LogFilter(BlockRef(number=0)))) == 12


def test_reverted_blocks_leave_the_index() -> None:
    chain, greeters, _ = busy_chain()
    everything = LogFilter(from_block=BlockRef(number=0))
    snap = chain.snapshot()
    set_greeting = keccak(b"setGreeting(string)")[:4] + encode(["string"], ["late"])
    chain.send_transaction(
        TxArgs(sender=chain.accounts[5].address, to=greeters[0], data=set_greeting)
    )
    assert len(query_logs(chain, everything)) == 13
    assert chain.revert(snap)
    assert len(query_logs(chain, everything)) == 12
    assert query_logs(chain, LogFilter(BlockRef(number=chain.head.number + 1))) == []


def test_a_reverted_block_with_two_logs_of_a_new_address_leaves_the_index() -> None:
    chain = Chain(ChainConfig(clock=FixedClock()))
    emitter = Address(b"\x10" * 20)
    chain.set_code(emitter, bytes.fromhex("60003560006000a1" + "60003560006000a100"))  # LOG1 twice
    snap = chain.snapshot()
    chain.send_transaction(
        TxArgs(sender=chain.accounts[0].address, to=emitter, data=bytes(32), gas=40_000)
    )
    found = query_logs(chain, LogFilter(from_block=BlockRef(number=0), addresses=(emitter,)))
    assert [e.log_index for e in found] == [0, 1]
    assert chain.revert(snap)  # both positions, and the address's list, go at once
    assert query_logs(chain, LogFilter(from_block=BlockRef(number=0), addresses=(emitter,))) == []
    assert list(chain.log_index.candidates((emitter,), (), 0, 10)) == []
