"""The same fixtures from sync, pytest-asyncio and pytest-trio tests."""

from __future__ import annotations

import pytest
from plugin_helpers import INI


def test_asyncio_with_async_w3(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_send_and_subscribe(async_w3, mocknode_accounts):
            alice, bob = mocknode_accounts[:2]
            subscription = await async_w3.eth.subscribe("newHeads")
            tx = await async_w3.eth.send_transaction(
                {"from": alice.address, "to": bob.address, "value": 1})
            receipt = await async_w3.eth.get_transaction_receipt(tx)
            assert receipt.blockNumber == 1
            async def first_head():
                async for message in async_w3.socket.process_subscriptions():
                    assert message["subscription"] == subscription
                    return message["result"]["number"]
            assert await asyncio.wait_for(first_head(), 10) == 1

        @pytest.mark.asyncio
        async def test_isolated_too(async_w3, mocknode):
            assert await async_w3.eth.block_number == 0
            mocknode.mine(3)  # the same admin methods, as plain calls
            assert await async_w3.eth.block_number == 3

        # async_w3 follows the test onto its loop, whatever the scope
        @pytest.mark.asyncio(loop_scope="module")
        async def test_module_loop(async_w3, w3):
            assert await async_w3.eth.chain_id == w3.eth.chain_id == 31337
            assert await async_w3.eth.block_number == 0

        def test_async_w3_from_a_sync_test(async_w3):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*async_w3 is for asyncio tests*a sync test can use w3*"])


def test_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    """pytest-asyncio's auto mode claims every ``async def`` fixture; the plugin's trio
    fixture must not be one of them (it is a sync function returning an async generator)."""
    pytester.makeini(INI.format(extra="asyncio_mode = auto"))
    pytester.makepyfile(
        """
        async def test_auto(async_w3, mocknode):
            mocknode.mine()
            assert await async_w3.eth.block_number == 1
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


TRIO_SUITE = """
import time
import pytest
import trio
from mocknode import RPCError, TrioMockNode

MARK = pytest.mark.trio if {mark} else (lambda fn: fn)

@MARK
async def test_interval_mining_on_the_autojump_clock(mocknode, autojump_clock):
    assert isinstance(mocknode, TrioMockNode)
    started = time.perf_counter()
    mocknode.set_interval_mining(12)
    await trio.sleep(120)
    # the miner and the sleep both wake at t=120; either may run first
    assert mocknode.block_number() in (9, 10)
    assert time.perf_counter() - started < 0.5
    assert trio.current_time() == 120

@MARK
async def test_fresh_node_per_test(mocknode, mocknode_http_url, mocknode_ws_url,
                                   mocknode_ipc_path, mocknode_accounts):
    assert mocknode.block_number() == 0
    assert mocknode.with_chain(lambda chain: chain.interval) is None
    # the endpoint fixtures resolve inside the run, against the same node
    assert (mocknode_http_url, mocknode_ws_url, mocknode_ipc_path) == (
        mocknode.http_url, mocknode.ws_url, mocknode.ipc_path)
    # JSON-RPC without leaving the run
    alice, bob = mocknode_accounts[:2]
    tx = await mocknode.request("eth_sendTransaction",
                                {{"from": alice.address, "to": bob.address, "value": "0x1"}})
    receipt = await mocknode.request("eth_getTransactionReceipt", tx)
    assert receipt["blockNumber"] == "0x1"
    with pytest.raises(RPCError, match="the method eth_nope does not exist"):
        await mocknode.request("eth_nope")

@MARK
@pytest.mark.mocknode(chain_id=5, automine=False, interval=12)
async def test_marker_in_trio(mocknode, autojump_clock):
    assert await mocknode.request("eth_chainId") == "0x5"
    await trio.sleep(12.5)
    assert mocknode.block_number() == 1

@MARK
async def test_w3_from_a_worker_thread(w3, mocknode):
    def in_thread():
        mocknode.mine(2)  # crosses into the run with trio.from_thread
        return w3.eth.block_number
    assert await trio.to_thread.run_sync(in_thread) == 2
    with pytest.raises(RuntimeError, match="sync web3 call on a trio thread would deadlock"):
        w3.eth.block_number

@MARK
async def test_async_w3_in_trio(async_w3):
    pass
"""


@pytest.mark.parametrize("mode", ["marker", "trio_mode"])
def test_trio(pytester: pytest.Pytester, mode: str) -> None:
    """In a trio test the node runs in the test's own run: with ``autojump_clock`` two
    minutes of twelve-second blocks take no real time."""
    if mode == "trio_mode":
        pytester.makeini(INI.format(extra="trio_mode = true"))
    pytester.makepyfile(TRIO_SUITE.format(mark=mode == "marker"))
    result = pytester.runpytest("-W", "error")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at setup of test_async_w3_in_trio*", "async_w3 is asyncio-only*"]
    )


def test_sync_async_and_trio_in_one_run(pytester: pytest.Pytester) -> None:
    """One helper, typed with ``NodeControls``, serves all three styles."""
    pytester.makepyfile(
        """
        import pytest
        import trio
        from mocknode import NodeControls

        def bump(node: NodeControls) -> int:
            node.increase_time(60)
            node.mine(2)
            return node.block_number()

        def test_sync(mocknode):
            assert bump(mocknode) == 2

        @pytest.mark.asyncio
        async def test_asyncio(mocknode):
            assert bump(mocknode) == 2

        @pytest.mark.trio
        async def test_trio(mocknode):
            assert bump(mocknode) == 2
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)
