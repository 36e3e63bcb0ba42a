"""What a failing test shows: the node's own error, and the node's state."""

from __future__ import annotations

import pytest


def test_failed_node_calls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import trio

        BROKE = "0x" + "33" * 20

        def test_rpc_error(w3, mocknode):
            mocknode.set_automine(False)
            alice = w3.eth.accounts[0]
            w3.eth.send_transaction({"from": alice, "to": BROKE, "value": 1})
            w3.eth.send_transaction({"from": alice, "to": BROKE, "value": 10**30})

        def test_admin_error(mocknode):
            mocknode.increase_time(3600)
            mocknode.set_balance("0x1234", 1)

        def test_node_still_fine(w3):
            assert w3.eth.block_number == 0

        @pytest.mark.trio
        async def test_trio_error(mocknode):
            mocknode.mine(2)
            await mocknode.request("eth_getBalance", "0x12", "latest")

        @pytest.mark.trio
        async def test_trio_assert(mocknode):
            assert mocknode.block_number() == 2
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=4)
    out = result.stdout
    # the node's geth-style message comes through web3 untouched ...
    out.fnmatch_lines(["E * insufficient funds for gas * price + value*"])
    # ... and the report says which node, in which state
    out.fnmatch_lines(
        [
            "*_ test_rpc_error _*",
            "*- mocknode -*",
            "http://127.0.0.1:* ws://127.0.0.1:* ipc:*/mocknode-*.ipc",
            "chain id 31337, head block 0 (0x*), 1 pending tx, automine off, "
            "interval mining off, time offset +0 s",
        ]
    )
    out.fnmatch_lines(
        [
            "*_ test_admin_error _*",
            "E * ValueError: not a 20-byte address: '0x1234'",
            "*- mocknode -*",
            "http://*",
            "chain id 31337, head block 0 (0x*), 0 pending tx, automine on, "
            "interval mining off, time offset +3600 s",
        ]
    )
    # a trio test fails with its own error, not with the group trio's nursery wraps it in
    out.fnmatch_lines(
        [
            "*_ test_trio_error _*",
            '>       await mocknode.request("eth_getBalance", "0x12", "latest")',
            "E *RPCError: invalid argument 0: hex string has length 2, want 40 *(code -32602)",
            "*- mocknode -*",
            "http://* (served in the test's trio run)",
            "chain id 31337, head block 2 *",
        ]
    )
    out.fnmatch_lines(
        ["*_ test_trio_assert _*", "E       assert 0 == 2", "E        +  where 0 = *"]
    )
    assert "ExceptionGroup" not in out.str()
