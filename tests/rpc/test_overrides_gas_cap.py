"""The RPC gas cap (geth's ``--rpc.gascap``, mocknode's ``--rpc-gas-cap``): the gas of a
call that names none, and the most any call gets, a caller's larger figure clamped (the
freeze of issue 11: ``{"gas": "0xffffffffffffffff"}`` on an endless loop now ends with
"out of gas" after the cap). Checked over JSON-RPC on nodes configured in-process and
on a ``mocknode`` subprocess started with the flag."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from overrides_helpers import DEV0, GAS, LOOP, TARGET, error, result, sload
from web3 import HTTPProvider, Web3

from mocknode import ChainConfig, MockNode, NodeConfig

HUGE = "0xffffffffffffffff"
# What GAS reads first thing in a call: the call's gas less 21000 and GAS's own 2.
OVERHEAD = 21000 + 2


def gas_seen(node: MockNode, gas: str | None) -> int:
    call = {"to": TARGET} if gas is None else {"to": TARGET, "gas": gas}
    return int(result(node, "eth_call", [call, "latest", {TARGET: {"code": GAS}}]), 16)


def test_default_cap_clamps_caller_gas(node: MockNode) -> None:
    assert gas_seen(node, None) == 50_000_000 - OVERHEAD
    assert gas_seen(node, HUGE) == 50_000_000 - OVERHEAD  # clamped, not refused
    assert gas_seen(node, hex(100_000)) == 100_000 - OVERHEAD


@pytest.fixture(scope="module")
def capped() -> Iterator[MockNode]:
    config = NodeConfig(port=0, ipc_path=None, chain=ChainConfig(rpc_gas_cap=100_000))
    with MockNode(config) as running:
        yield running


def test_endless_loop_with_huge_gas_ends_out_of_gas(capped: MockNode) -> None:
    # Issue 11's freeze: caller gas of 2^64-1 on an endless loop. Clamped to the cap, the
    # loop runs out of gas (at the default cap of 50M that takes seconds of py-evm; here
    # the cap is 100,000).
    call = {"to": TARGET, "gas": HUGE}
    answer = error(capped, "eth_call", [call, "latest", {TARGET: {"code": LOOP}}])
    assert answer == {"code": -32000, "message": "out of gas"}
    assert int(result(capped, "eth_blockNumber", []), 16) == 0  # and the node answers


def test_zero_is_no_cap() -> None:
    config = NodeConfig(port=0, ipc_path=None, chain=ChainConfig(rpc_gas_cap=0))
    with MockNode(config) as uncapped:
        assert gas_seen(uncapped, hex(10**8)) == 10**8 - OVERHEAD  # above the default cap
        assert gas_seen(uncapped, None) == 2**63 - 1 - OVERHEAD  # geth: MaxUint64 / 2


def test_configured_cap_over_web3(capped: MockNode) -> None:
    w3 = Web3(HTTPProvider(capped.http_url, request_kwargs={"timeout": 30}))
    state = {TARGET: {"code": GAS}}
    seen = w3.eth.call({"to": TARGET, "gas": 10**7}, "latest", state)  # type: ignore[arg-type]
    assert int.from_bytes(seen, "big") == 100_000 - OVERHEAD
    # estimateGas searches below the cap only: a loop needs more than it allows.
    loop = {TARGET: {"code": LOOP}}
    with pytest.raises(Exception, match=r"gas required exceeds allowance \(100000\)"):
        w3.eth.estimate_gas({"to": TARGET, "gas": 10**7}, "latest", loop)  # type: ignore[arg-type]
    assert w3.eth.estimate_gas({"to": TARGET}, "latest", {TARGET: {"code": sload(1)}}) < 100_000


def test_cap_applies_to_access_lists_and_simulations(capped: MockNode) -> None:
    state = {TARGET: {"code": LOOP}}
    listed = result(capped, "eth_createAccessList", [{"to": TARGET, "gas": HUGE}, "latest", state])
    assert listed == {"accessList": [], "error": "out of gas", "gasUsed": hex(100_000)}
    opts = {
        "blockStateCalls": [
            {"stateOverrides": state, "calls": [{"to": TARGET, "gas": hex(10**6)}]},
        ]
    }
    [block] = result(capped, "eth_simulateV1", [opts, "latest"])
    assert block["calls"][0]["gasUsed"] == hex(100_000)
    assert block["calls"][0]["error"] == {"message": "out of gas", "code": -32015}
    # The cap is a pool for the whole simulation: a call gets what is left, clamped ...
    opts["blockStateCalls"][0]["calls"] = [
        {"to": TARGET, "gas": hex(60_000)},
        {"to": TARGET, "gas": hex(60_000)},
    ]
    [block] = result(capped, "eth_simulateV1", [opts, "latest"])
    assert [c["gasUsed"] for c in block["calls"]] == [hex(60_000), hex(40_000)]
    # ... and once it is spent, geth's "gas limit reached" (-32603) ends the simulation.
    opts["blockStateCalls"][0]["calls"].append({"to": TARGET, "gas": hex(60_000)})
    answer = error(capped, "eth_simulateV1", [opts, "latest"])
    assert answer == {"code": -32603, "message": "gas limit reached"}


LISTENING = re.compile(r"^Listening on http://([\d.]+):(\d+) ")


@pytest.mark.parametrize(
    ("flags", "expected"), [((), 50_000_000), (("--rpc-gas-cap", "75000"), 75_000)]
)
def test_cli_flag(flags: tuple[str, ...], expected: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", "--silent", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = None
        for line in proc.stdout:
            match = LISTENING.match(line)
            if match:
                port = int(match.group(2))
                break
        assert port is not None, proc.stderr.read() if proc.stderr else ""
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_call",
            "params": [
                {"from": DEV0, "to": TARGET, "gas": HUGE},
                "latest",
                {TARGET: {"code": GAS}},
            ],
        }
        answer = requests.post(f"http://127.0.0.1:{port}", json=body, timeout=30).json()
        assert int(answer["result"], 16) == expected - OVERHEAD
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_flag_refuses_negative() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", "--rpc-gas-cap", "-1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2
    assert "--rpc-gas-cap" in run.stderr
