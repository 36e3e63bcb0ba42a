"""Bounded work over real sockets (issue 11): the EVM time limit on calls and the limits
on dev methods' counts and times.

Before: ``eth_call`` of a ``JUMPDEST PUSH1 0 JUMP`` loop with gas ``0xffffffffffffffff``
never returned (and held every transport), ``anvil_mine("0x10000000000000000")`` ran
forever growing memory, and ``evm_increaseTime(2**255)`` mined blocks whose timestamps
no header can hold. Each test here answers within seconds now; before, the first two
ran into the client's timeout.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from mocknode import ChainConfig, MockNode, NodeConfig
from mocknode.cli import build_parser, config_from_args

LOOP = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP: loops until the gas runs out
LOOP_AT = "0x" + "10" * 20
HUGE_GAS = "0xffffffffffffffff"
# No gas cap and a huge block gas limit: a call or estimate of LOOP with huge gas ends
# only at the time limit, however fast the machine loops (50M gas of it, the default
# cap, is a second or less).
UNCAPPED = ChainConfig(gas_limit=10**12, rpc_gas_cap=0)
TIMEOUT_ERROR = {"code": -32000, "message": "execution aborted (timeout = 500ms)"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    ipc = tmp_path_factory.mktemp("bounded") / "node.ipc"
    config = NodeConfig(port=0, ipc_path=str(ipc), evm_timeout=0.5, chain=UNCAPPED)
    with MockNode(config) as running:
        call(running, "anvil_setCode", [LOOP_AT, LOOP])
        yield running


def http(node: MockNode, body: Any) -> Any:
    import urllib.request

    request = urllib.request.Request(
        node.http_url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def ws(node: MockNode, body: Any) -> Any:
    with connect(node.ws_url, open_timeout=10) as client:
        client.send(json.dumps(body))
        return json.loads(client.recv(timeout=30))


def ipc(node: MockNode, body: Any) -> Any:
    assert node.ipc_path is not None
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(node.ipc_path)
        sock.sendall(json.dumps(body).encode())
        buffer = b""
        decoder = json.JSONDecoder()
        while True:
            buffer += sock.recv(65536)
            try:
                return decoder.raw_decode(buffer.decode())[0]
            except ValueError:
                continue


SEND = {"http": http, "ws": ws, "ipc": ipc}


def request(method: str, params: list[Any], ident: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}


def call(node: MockNode, method: str, params: list[Any]) -> Any:
    answer = http(node, request(method, params))
    assert "error" not in answer, answer
    return answer["result"]


def error(node: MockNode, method: str, params: list[Any]) -> Any:
    answer = http(node, request(method, params))
    assert "result" not in answer, answer
    return answer["error"]


# -- the EVM time limit ---------------------------------------------------------------


@pytest.mark.parametrize("transport", ["http", "ws", "ipc"])
def test_call_with_huge_gas_stops_at_the_time_limit(node: MockNode, transport: str) -> None:
    started = time.monotonic()
    answer = SEND[transport](
        node, request("eth_call", [{"to": LOOP_AT, "gas": HUGE_GAS}, "latest"], 7)
    )
    assert answer == {"jsonrpc": "2.0", "id": 7, "error": TIMEOUT_ERROR}
    assert time.monotonic() - started < 20  # the limit, plus a loaded machine's slack


def test_estimate_gas_stops_at_the_time_limit(node: MockNode) -> None:
    assert error(node, "eth_estimateGas", [{"to": LOOP_AT}, "latest"]) == TIMEOUT_ERROR


def test_each_batch_item_has_its_own_limit(node: MockNode) -> None:
    loop = {"to": LOOP_AT, "gas": HUGE_GAS}
    answer = http(
        node,
        [
            request("eth_call", [loop, "latest"], 1),
            request("eth_chainId", [], 2),
            request("eth_call", [loop, "latest"], 3),
        ],
    )
    assert answer == [
        {"jsonrpc": "2.0", "id": 1, "error": TIMEOUT_ERROR},
        {"jsonrpc": "2.0", "id": 2, "result": "0x7a69"},
        {"jsonrpc": "2.0", "id": 3, "error": TIMEOUT_ERROR},
    ]


def test_a_pending_call_has_the_limit_too(node: MockNode) -> None:
    # Calls on the pending block run on the event loop (mocknode.offload): still bounded.
    params = [{"to": LOOP_AT, "gas": HUGE_GAS}, "pending"]
    assert error(node, "eth_call", params) == TIMEOUT_ERROR


def test_the_node_serves_on_after_a_timeout(node: MockNode) -> None:
    error(node, "eth_call", [{"to": LOOP_AT, "gas": HUGE_GAS}, "latest"])
    # A call that ends by itself still answers as before: out of gas, all of it.
    out_of_gas = error(node, "eth_call", [{"to": LOOP_AT, "gas": "0x5208"}, "latest"])
    assert out_of_gas == {"code": -32000, "message": "out of gas"}


def test_mined_transactions_are_not_limited(node: MockNode) -> None:
    """The limit is the calls': a block runs its transactions whatever they take."""
    sender = call(node, "eth_accounts", [])[0]
    gas = 30_000_000  # 2.5M loop iterations: longer than the 500 ms limit here
    tx = call(node, "eth_sendTransaction", [{"from": sender, "to": LOOP_AT, "gas": hex(gas)}])
    receipt = call(node, "eth_getTransactionReceipt", [tx])
    assert receipt["status"] == "0x0"
    assert int(receipt["gasUsed"], 16) == gas


def test_no_limit_when_zero() -> None:
    with MockNode(NodeConfig(port=0, ipc_path=None, evm_timeout=0)) as free:
        call(free, "anvil_setCode", [LOOP_AT, LOOP])
        # 3M gas of looping takes about a second in Python: no limit stops it.
        params = [{"to": LOOP_AT, "gas": hex(3_000_000)}, "latest"]
        assert error(free, "eth_call", params) == {"code": -32000, "message": "out of gas"}


def test_the_limit_is_gethsdefault_and_a_flag() -> None:
    assert NodeConfig().evm_timeout == 5.0
    parser = build_parser()
    assert config_from_args(parser.parse_args([])).evm_timeout == 5.0
    for text, seconds in (("300ms", 0.3), ("1m30s", 90.0), ("2", 2.0), ("0", None)):
        args = parser.parse_args(["--rpc-evm-timeout", text])
        assert config_from_args(args).evm_timeout == seconds
    with pytest.raises(SystemExit):
        parser.parse_args(["--rpc-evm-timeout", "soon"])


def test_the_message_names_the_limit_as_go_writes_it(tmp_path: Path) -> None:
    with MockNode(NodeConfig(port=0, ipc_path=None, evm_timeout=1.25, chain=UNCAPPED)) as other:
        call(other, "anvil_setCode", [LOOP_AT, LOOP])
        answer = error(other, "eth_call", [{"to": LOOP_AT, "gas": HUGE_GAS}, "latest"])
        assert answer == {"code": -32000, "message": "execution aborted (timeout = 1.25s)"}


# -- dev methods' limits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "count"),
    [
        ("anvil_mine", ["0x10000000000000000"], 2**64),
        ("hardhat_mine", ["0x186a1"], 100_001),
        ("anvil_mine", [100_001], 100_001),
        ("evm_mine", [{"blocks": 100_001}], 100_001),
        ("anvil_mine_detailed", [{"blocks": "0x186a1"}], 100_001),
    ],
)
def test_absurd_block_counts_are_refused_at_once(
    node: MockNode, method: str, params: list[Any], count: int
) -> None:
    head = call(node, "eth_blockNumber", [])
    started = time.monotonic()
    assert error(node, method, params) == {
        "code": -32602,
        "message": f"invalid argument 0: block count {count} is over the limit of 100000",
    }
    assert time.monotonic() - started < 5
    assert call(node, "eth_blockNumber", []) == head


def test_counts_within_the_limit_mine(node: MockNode) -> None:
    head = int(call(node, "eth_blockNumber", []), 16)
    assert call(node, "hardhat_mine", ["0x40", "0x2"]) is None
    assert call(node, "evm_mine", [{"blocks": 3}]) == "0x0"
    latest = call(node, "eth_getBlockByNumber", ["latest", False])
    assert int(latest["number"], 16) == head + 67


def test_interval_past_u64_is_refused(node: MockNode) -> None:
    head = call(node, "eth_blockNumber", [])
    assert error(node, "anvil_mine", [1, "0x10000000000000000"]) == {
        "code": -32602,
        "message": "invalid argument 1: json: cannot unmarshal hex number > 64 bits "
        "into Go value of type hexutil.Uint64",
    }
    huge = 2**63
    assert error(node, "anvil_mine", [4, huge]) == {
        "code": -32602,
        "message": f"invalid argument 1: 4 blocks {huge} seconds apart would put block "
        f"timestamps past {2**64 - 1} (2**64 - 1)",
    }
    assert call(node, "eth_blockNumber", []) == head


def test_time_travel_past_u64_is_refused_and_changes_nothing(node: MockNode) -> None:
    offset = call(node, "evm_increaseTime", [0])
    seconds = 2**255
    assert error(node, "evm_increaseTime", [hex(seconds)]) == {
        "code": -32602,
        "message": f"invalid argument 0: moving time {seconds} seconds would put block "
        f"timestamps past {2**64 - 1} (2**64 - 1)",
    }
    assert call(node, "evm_increaseTime", [0]) == offset
    assert call(node, "evm_mine", []) == "0x0"
    latest = call(node, "eth_getBlockByNumber", ["latest", False])
    assert int(latest["timestamp"], 16) < 2**64


def test_no_block_after_the_last_timestamp_a_header_holds() -> None:
    """evm_setNextBlockTimestamp(2**64 - 1) is a legal stamp; the block after it would
    need 2**64, which no header holds: refused, and the chain keeps its head."""
    with MockNode(NodeConfig(port=0, ipc_path=None)) as other:
        assert call(other, "evm_setNextBlockTimestamp", ["0xffffffffffffffff"]) is None
        call(other, "evm_mine", [])
        head = call(other, "eth_getBlockByNumber", ["latest", False])
        assert head["timestamp"] == "0xffffffffffffffff"
        answer = error(other, "evm_mine", [])
        assert answer["message"] == (
            "block timestamp 18446744073709551616 is past the largest a header holds "
            "(18446744073709551615)"
        )
        assert call(other, "eth_getBlockByNumber", ["latest", False])["hash"] == head["hash"]
        # A send under automine is refused before it is pooled: nothing is left behind.
        sender = call(other, "eth_accounts", [])[0]
        refused = error(other, "eth_sendTransaction", [{"from": sender, "to": sender}])
        assert refused["message"] == answer["message"]
        assert call(other, "txpool_status", []) == {"pending": "0x0", "queued": "0x0"}
