"""Virtual time on every kind of node: ``NodeConfig(virtual_time=True)`` and ``advance``.

The threaded node and the trio node alike: the chain's clock stands still until
``advance(seconds)`` (or ``mock_advanceTime`` over JSON-RPC) moves it, and every interval
block that falls due on the way is mined at once, stamped the interval after its parent.
Without virtual time, interval blocks follow the interval too (on trio's clock).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trio
from web3 import HTTPProvider, Web3

from mocknode import MockNode, NodeConfig, open_mocknode
from mocknode.chain.errors import InvalidRequest


def virtual() -> NodeConfig:
    return NodeConfig(port=0, ipc_path=None, virtual_time=True)


def stamps(w3: Web3, first: int = 0) -> list[int]:
    """Timestamps of blocks ``first``.. head, as a client reads them."""
    head = w3.eth.block_number
    return [int(w3.eth.get_block(n)["timestamp"]) for n in range(first, head + 1)]


def call(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def test_advance_mines_every_block_that_falls_due_with_its_timestamp() -> None:
    with MockNode(virtual()) as node:
        w3 = Web3(HTTPProvider(node.http_url))
        genesis = stamps(w3)[0]
        node.set_interval_mining(2)
        assert node.advance(1) == 0
        assert node.advance(9) == 5  # due at 2, 4, 6, 8, 10
        assert stamps(w3) == [genesis + 2 * k for k in range(6)]

        # The same over JSON-RPC, web3.py on a real socket: the hashes of what it mined.
        mined = call(w3, "mock_advanceTime", 6)
        assert mined == [w3.eth.get_block(n)["hash"].to_0x_hex() for n in (6, 7, 8)]
        assert call(w3, "mock_advanceTime", "0x1") == []  # a hex quantity too; 17 not due yet
        assert len(call(w3, "mock_advanceTime", 0.5)) == 0
        assert len(call(w3, "mock_advanceTime", 0.5)) == 1  # fractions add up: now at 18
        assert stamps(w3, 6) == [genesis + 12, genesis + 14, genesis + 16, genesis + 18]


def test_time_stands_still_without_interval_mining() -> None:
    with MockNode(virtual()) as node:
        w3 = Web3(HTTPProvider(node.http_url))
        genesis = stamps(w3)[0]
        alice, bob = (w3.to_checksum_address(a.address) for a in node.accounts[:2])
        w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
        w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
        assert stamps(w3) == [genesis, genesis + 1, genesis + 2]  # each after its parent
        assert node.advance(3600) == 0
        node.mine()
        assert stamps(w3, 3) == [genesis + 3600]  # the clock's now


def test_jumps_and_forced_timestamps_still_apply_to_interval_blocks() -> None:
    with MockNode(virtual()) as node:
        w3 = Web3(HTTPProvider(node.http_url))
        genesis = stamps(w3)[0]
        node.set_interval_mining(5)
        assert node.advance(5) == 1
        assert node.increase_time(100) == 100  # a jump, as anvil's evm_increaseTime: no blocks
        assert w3.eth.block_number == 1
        assert node.advance(5) == 1
        node.set_next_block_timestamp(genesis + 1_000)
        assert node.advance(10) == 2
        assert stamps(w3) == [genesis, genesis + 5, genesis + 110, genesis + 1_000, genesis + 1_005]


def test_a_fractional_interval_spreads_over_whole_seconds() -> None:
    with MockNode(virtual()) as node:
        w3 = Web3(HTTPProvider(node.http_url))
        genesis = stamps(w3)[0]
        node.set_interval_mining(1.5)
        assert node.advance(6) == 4
        assert stamps(w3) == [genesis, genesis + 1, genesis + 3, genesis + 4, genesis + 6]


def test_changing_the_mining_mode_restarts_the_interval_from_now() -> None:
    with MockNode(virtual()) as node:
        node.set_interval_mining(10)
        snap = node.snapshot()
        assert node.advance(7) == 0
        node.set_interval_mining(10)  # from now (t=7): due at 17
        assert node.advance(9) == 0
        assert node.advance(1) == 1
        assert node.revert(snap)  # the interval comes back with it, again from now (t=17)
        assert node.advance(9) == 0
        assert node.advance(1) == 1
        node.set_interval_mining(None)
        assert node.advance(1_000) == 0


def test_a_node_without_virtual_time_says_so() -> None:
    with MockNode(NodeConfig(port=0, ipc_path=None)) as node:
        with pytest.raises(InvalidRequest, match="no virtual clock"):
            node.advance(1)
        w3 = Web3(HTTPProvider(node.http_url))
        response = w3.provider.make_request("mock_advanceTime", [1])  # type: ignore[arg-type]
        assert response["error"] == {
            "code": -32000,
            "message": "this node has no virtual clock: start it with --virtual-time "
            "(NodeConfig(virtual_time=True)) to move its time by hand",
        }
        for bad in (-1, "1", None):
            response = w3.provider.make_request("mock_advanceTime", [bad])  # type: ignore[arg-type]
            assert response["error"]["code"] == -32602


@pytest.mark.trio
async def test_the_trio_node_on_virtual_time_ignores_the_runs_clock(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with open_mocknode(virtual()) as node:
        node.set_interval_mining(12)
        await trio.sleep(120)  # trio's clock no longer drives the miner ...
        assert node.block_number() == 0
        assert node.advance(120) == 10  # ... the virtual one does
        assert await node.request("eth_blockNumber") == "0xa"
        mined = await node.request("mock_advanceTime", 24)
        assert len(mined) == 2


@pytest.mark.trio
async def test_interval_blocks_follow_the_interval_on_trios_clock(
    autojump_clock: trio.abc.Clock,
) -> None:
    """Without virtual time: the miner sleeps on trio's clock, and each block is stamped
    the interval after its parent, not by the wall clock (which barely moved)."""
    async with open_mocknode(NodeConfig(port=0, ipc_path=None)) as node:
        node.set_interval_mining(12)
        await trio.sleep(61)
        assert node.block_number() == 5
        times = node.with_chain(lambda chain: [b.header.timestamp for b in chain.blocks])
        assert [t - times[0] for t in times] == [0, 12, 24, 36, 48, 60]


def test_the_example_in_the_docs_runs() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "state-and-time.md"
    (example,) = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    proc = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, example + proc.stderr
