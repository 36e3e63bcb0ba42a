"""JSON-RPC faults decided per request, seen by real clients over real sockets: error
objects and provider templates, malformed bodies, spec violations, ids, duplicate, stray,
late and out-of-order responses, batch limits/missing items/reordering, rate limits and
provider ``eth_getLogs`` caps.

Raw sockets pin the exact bytes; web3.py (sync HTTP/IPC, async WebSocket) shows what an
application sees, including where clients differ (web3's HTTP and IPC providers never
check response ids; its WebSocket provider matches them and times out).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
import requests
import websockets
from faultwire import (
    Raw,
    body,
    deploy_logger,
    emit_logs,
    entries,
    http3,
    ipc3,
    post,
    reset,
    serve,
    summary,
)
from web3 import AsyncWeb3, WebSocketProvider
from web3._utils.threads import Timeout
from web3.exceptions import BadResponseFormat, TimeExhausted, Web3RPCError

from mocknode import MockNode, NodeConfig
from mocknode.faults import Event, FaultEngine, Rule

DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    yield from serve(tmp_path_factory.mktemp("jsonrpc"))


@pytest.fixture(autouse=True)
def _clean(node: MockNode) -> Iterator[None]:
    yield
    reset(node)


def once(node: MockNode, action: dict[str, Any], **match: Any) -> None:
    rule: dict[str, Any] = {"trigger": {"first": 1}, "action": action}
    if match:
        rule["match"] = match
    node.faults.add(rule)


def ws(node: MockNode, timeout: float = 0.5) -> AsyncWeb3:
    return AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=timeout))


def rpc_error(exc: pytest.ExceptionInfo[Web3RPCError]) -> Any:
    assert exc.value.rpc_response is not None
    return exc.value.rpc_response["error"]


def http_exchange(node: MockNode, payload: bytes) -> tuple[bytes, bytes]:
    raw = Raw.tcp(node)
    raw.send(post(raw.port, payload))
    head, reply = raw.read_http()
    raw.close()
    return head, reply


def batch(*calls: tuple[str, list[Any]]) -> bytes:
    return b"[" + b",".join(body(m, p, ident=i + 1) for i, (m, p) in enumerate(calls)) + b"]"


def run_batch(w3: Any) -> list[Any]:
    """web3's batch of eth_blockNumber, eth_getBalance, eth_blockNumber."""
    with w3.batch_requests() as b:
        b.add(w3.eth.get_block_number())
        b.add(w3.eth.get_balance(DEV))
        b.add(w3.eth.get_block_number())
        return list(b.execute())


THREE = batch(("eth_chainId", []), ("eth_getBalance", [DEV, "latest"]), ("net_version", []))


# ----------------------------------------------------------------------- error


def test_error_object_with_code_message_and_data(node: MockNode) -> None:
    once(node, {"kind": "error", "code": 3, "message": "execution reverted", "data": "0x08c379a0"})
    with pytest.raises(Web3RPCError) as caught:
        http3(node).manager.request_blocking("eth_call", [{"to": DEV}, "latest"])
    assert rpc_error(caught) == {"code": 3, "message": "execution reverted", "data": "0x08c379a0"}


def test_error_from_a_provider_template_over_every_transport(node: MockNode) -> None:
    expected = {"code": -32005, "message": "query returned more than 10000 results"}
    for client in (http3(node), ipc3(node)):
        once(node, {"kind": "error", "template": "infura.limit_exceeded"})
        with pytest.raises(Web3RPCError) as caught:
            client.eth.get_block_number()
        assert rpc_error(caught) == expected

    async def main() -> Any:
        once(node, {"kind": "error", "template": "geth.header_not_found", "code": -32001})
        async with ws(node) as w3:
            with pytest.raises(Web3RPCError) as caught:
                await w3.eth.get_block("latest")
            return rpc_error(caught)

    assert asyncio.run(main()) == {"code": -32001, "message": "header not found"}


def test_error_on_one_batch_item(node: MockNode) -> None:
    node.faults.add(
        {
            "match": {"method": "eth_getBalance"},
            "action": {"kind": "error", "code": -32000, "message": "missing trie node"},
        }
    )
    _, reply = http_exchange(node, THREE)
    first, second, third = json.loads(reply)
    assert first == {"jsonrpc": "2.0", "id": 1, "result": "0x7a69"}
    assert second == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {"code": -32000, "message": "missing trie node"},
    }
    assert third["result"] == "31337"
    w3 = http3(node)
    with pytest.raises(Web3RPCError, match="missing trie node"):
        run_batch(w3)


# ----------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            "truncated_json",
            r"Could not decode '\{\"jsonrpc\":\"2.0\",\"i' because of Unterminated string",
        ),
        ("trailing_garbage", "because of Extra data"),
        ("html", r"Could not decode '<html>.*because of Expecting value"),
        ("empty", "Could not decode '' because of Expecting value"),
    ],
)
def test_malformed_bodies_break_json_decoding(node: MockNode, form: str, message: str) -> None:
    once(node, {"kind": "malformed", "form": form})
    with pytest.raises(json.JSONDecodeError, match=message):
        http3(node).eth.get_block_number()


def test_malformed_wrong_content_type_is_ignored_by_web3(node: MockNode) -> None:
    once(node, {"kind": "malformed", "form": "wrong_content_type"})
    head, reply = http_exchange(node, body("eth_chainId"))
    assert b"\r\nContent-Type: text/html; charset=utf-8" in head
    assert json.loads(reply)["result"] == "0x7a69"
    once(node, {"kind": "malformed", "form": "wrong_content_type"})
    assert http3(node).eth.chain_id == 31337


def test_malformed_over_ipc_and_ws(node: MockNode) -> None:
    once(node, {"kind": "malformed", "form": "truncated_json"})
    with pytest.raises(Timeout, match=r"0\.5 seconds"):  # the JSON value never completes
        ipc3(node).eth.get_block_number()

    async def main() -> None:
        once(node, {"kind": "malformed", "form": "html"})
        async with ws(node) as w3:  # web3's listener fails on the page, and so does the call
            await w3.eth.chain_id

    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        asyncio.run(main())


# ----------------------------------------------------------------------- spec violations

VIOLATIONS = [
    ("missing_jsonrpc", 'The "jsonrpc" field must be present', "{'id': 0, 'result': '0x7a69'}"),
    (
        "result_and_error",
        'Response cannot include both "error" and "result"',
        "'result': '0x7a69', 'error': {'code': -32603, 'message': 'internal error'}",
    ),
    ("error_string", r'response\["error"\] must be a valid object', "'error': 'internal error'"),
    (
        "no_result",
        'Response must include either "error" or "result"',
        "{'jsonrpc': '2.0', 'id': 0}",
    ),
]


@pytest.mark.parametrize(("violation", "rule", "raw"), VIOLATIONS)
def test_spec_violations_are_bad_response_format(
    node: MockNode, violation: str, rule: str, raw: str
) -> None:
    once(node, {"kind": "spec_violation", "violation": violation})
    with pytest.raises(BadResponseFormat, match=rule) as caught:
        http3(node).manager.request_blocking("eth_chainId", [])
    message = str(caught.value)
    assert message.startswith("The response was in an unexpected format and unable to be parsed.")
    assert raw in message


def test_spec_violation_over_ipc_and_in_a_batch_item(node: MockNode) -> None:
    once(node, {"kind": "spec_violation", "violation": "no_result"})
    with pytest.raises(BadResponseFormat, match='must include either "error" or "result"'):
        ipc3(node).eth.get_block_number()
    node.faults.add(
        {
            "match": {"scope": "item", "method": "net_version"},
            "action": {"kind": "spec_violation", "violation": "missing_jsonrpc"},
        }
    )
    _, reply = http_exchange(node, THREE)
    assert json.loads(reply)[2] == {"id": 3, "result": "31337"}


# ----------------------------------------------------------------------- ids


def test_wrong_id_passes_web3_http_and_ipc_but_not_its_websocket(node: MockNode) -> None:
    once(node, {"kind": "wrong_id"})
    _, reply = http_exchange(node, body("eth_chainId", ident=7))
    assert json.loads(reply) == {"jsonrpc": "2.0", "id": 8, "result": "0x7a69"}
    # web3's request/response providers never compare ids: the answer is accepted.
    once(node, {"kind": "wrong_id"})
    assert http3(node).eth.chain_id == 31337
    once(node, {"kind": "wrong_id"})
    assert ipc3(node).eth.chain_id == 31337

    async def main() -> None:
        once(node, {"kind": "wrong_id"})
        async with ws(node) as w3:
            with pytest.raises(TimeExhausted, match=r"response with request id `0` after 0\.5"):
                await w3.eth.chain_id

    asyncio.run(main())


def test_null_and_retyped_ids(node: MockNode) -> None:
    once(node, {"kind": "wrong_id", "id": "null"})
    with pytest.raises(BadResponseFormat, match='"id" must be an integer or a string'):
        http3(node).eth.get_block_number()
    once(node, {"kind": "wrong_id", "id": "retyped"})
    _, reply = http_exchange(node, body("eth_chainId", ident=7))
    assert json.loads(reply)["id"] == "7"
    once(node, {"kind": "wrong_id", "id": "retyped"})
    _, reply = http_exchange(node, body("eth_chainId", ident="12"))
    assert json.loads(reply)["id"] == 12


# ----------------------------------------------------------------------- duplicate, stray, late


def test_duplicate_response(node: MockNode) -> None:
    once(node, {"kind": "duplicate_response", "copies": 3})
    _, reply = http_exchange(node, body("eth_chainId"))
    one = b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}'
    assert reply == one * 3  # HTTP: concatenated in one body
    once(node, {"kind": "duplicate_response"})
    with pytest.raises(json.JSONDecodeError, match="Extra data"):
        http3(node).eth.get_block_number()
    once(node, {"kind": "duplicate_response"})
    raw = Raw.ipc(node)
    raw.send(body("eth_chainId") + b"\n")
    assert raw.read_line() + raw.read_line() == (one + b"\n") * 2
    raw.close()

    async def main() -> tuple[int, int]:
        once(node, {"kind": "duplicate_response"})
        async with ws(node) as w3:  # web3 drops the copy: its id is no longer awaited
            return await w3.eth.chain_id, await w3.eth.block_number

    assert asyncio.run(main()) == (31337, node.block_number())


def test_duplicate_batch_item_breaks_web3_batches(node: MockNode) -> None:
    node.faults.add(
        {
            "match": {"method": "eth_getBalance", "scope": "item"},
            "action": {"kind": "duplicate_response"},
        }
    )
    _, reply = http_exchange(node, THREE)
    assert [item["id"] for item in json.loads(reply)] == [1, 2, 2, 3]
    # web3 sorts the answers by id and pairs them by position: the copy of the balance
    # becomes the third call's answer.
    balance = http3(node).eth.get_balance(DEV)
    assert run_batch(http3(node)) == [node.block_number(), balance, balance]


def test_stray_response_before_and_after(node: MockNode) -> None:
    async def exchange(action: dict[str, Any]) -> list[Any]:
        once(node, action)
        async with websockets.connect(node.ws_url) as socket:
            await socket.send(body("eth_chainId", ident=5))
            return [json.loads(await socket.recv()) for _ in range(2)]

    stray = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": "stray response"}}
    real = {"jsonrpc": "2.0", "id": 5, "result": "0x7a69"}
    assert asyncio.run(exchange({"kind": "stray_response"})) == [stray, real]
    assert asyncio.run(exchange({"kind": "stray_response", "id": 99, "position": "after"})) == [
        real,
        {**stray, "id": 99},
    ]

    async def web3_sees_it() -> None:
        once(node, {"kind": "stray_response"})
        async with ws(node) as w3:
            await w3.eth.chain_id

    # web3's listener raises an error response it cannot pair with a request (id null),
    # which ends the call waiting for its own answer.
    with pytest.raises(Web3RPCError, match="stray response"):
        asyncio.run(web3_sees_it())


def test_late_response_arrives_after_the_client_gave_up(node: MockNode) -> None:
    async def main() -> float:
        once(node, {"kind": "late_response", "seconds": 0.6})
        async with ws(node) as w3:
            with pytest.raises(TimeExhausted, match=r"request id `0` after 0\.5"):
                await w3.eth.chain_id
        once(node, {"kind": "late_response", "seconds": 0.2})
        async with websockets.connect(node.ws_url) as socket:
            start = time.monotonic()
            await socket.send(body("eth_chainId"))
            assert json.loads(await socket.recv())["result"] == "0x7a69"
            return time.monotonic() - start

    assert asyncio.run(main()) >= 0.2


def replies_in_order(node: MockNode, count: int) -> list[int]:
    async def main() -> list[int]:
        async with websockets.connect(node.ws_url) as socket:
            for ident in range(count):
                await socket.send(body("eth_chainId", ident=ident))
            return [json.loads(await socket.recv())["id"] for _ in range(count)]

    return asyncio.run(main())


def seeded_order(seed: int, count: int) -> list[int]:
    """The order the seeded holds put ``count`` replies in (connection 1, messages 1..N)."""
    engine = FaultEngine(seed)
    engine.add(Rule.of("out_of_order", seconds=0.6))
    holds = []
    for sequence in range(1, count + 1):
        event = Event.request("ws", 1, sequence, "eth_chainId", [], time=0.0, block=0)
        decision = engine.decide(event)
        assert decision is not None
        holds.append(decision.params["seconds"])
    gaps = sorted(holds)
    assert min(b - a for a, b in pairwise(gaps)) > 0.1  # beats any jitter
    return sorted(range(count), key=lambda i: holds[i])


def test_out_of_order_is_seeded() -> None:
    rule = {"action": {"kind": "out_of_order", "seconds": 0.6}}
    orders = []
    for seed in (9, 9, 11):
        with MockNode(NodeConfig(port=0, ipc_path=None, fault_seed=seed)) as fresh:
            fresh.faults.add(rule)
            orders.append(replies_in_order(fresh, 4))
    assert orders == [seeded_order(9, 4), seeded_order(9, 4), seeded_order(11, 4)]
    assert orders[0] == [0, 2, 1, 3]
    assert orders[2] == [1, 0, 2, 3]


# ----------------------------------------------------------------------- batches


def test_batch_limit_shapes(node: MockNode) -> None:
    node.faults.add({"action": {"kind": "batch_limit", "limit": 2}})
    _, reply = http_exchange(node, THREE)
    assert (
        reply == b'[{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"batch too large"}}]'
    )
    _, reply = http_exchange(node, batch(("eth_chainId", []), ("net_version", [])))
    assert len(json.loads(reply)) == 2  # within the limit
    w3 = http3(node)

    def three_calls() -> None:
        with w3.batch_requests() as b:
            b.add(w3.eth.get_block_number())
            b.add(w3.eth.get_balance(DEV))
            b.add(w3.eth.get_block("latest"))
            b.execute()

    with pytest.raises(Web3RPCError, match="batch too large"):
        three_calls()
    node.faults.clear()
    node.faults.add({"action": {"kind": "batch_limit", "limit": 2, "shape": "erigon"}})
    with pytest.raises(Web3RPCError) as caught:
        three_calls()
    assert rpc_error(caught) == {
        "code": -32000,
        "message": "batch limit 2 exceeded (can increase by --rpc.batch.limit). "
        "Requested batch of size: 3",
    }
    node.faults.clear()
    node.faults.add({"action": {"kind": "batch_limit", "limit": 2, "shape": "close"}})
    with pytest.raises(requests.exceptions.ConnectionError, match="RemoteDisconnected"):
        three_calls()


def test_batch_missing_leaves_an_item_out(node: MockNode) -> None:
    node.faults.add({"match": {"method": "eth_getBalance"}, "action": {"kind": "batch_missing"}})
    _, reply = http_exchange(node, THREE)
    assert [item["id"] for item in json.loads(reply)] == [1, 3]
    # web3 pairs the answers it got and returns a short list: the balance is just missing.
    number = node.block_number()
    assert run_batch(http3(node)) == [number, number]


def test_batch_reorder(node: MockNode) -> None:
    node.faults.add({"action": {"kind": "batch_reorder"}})
    _, reply = http_exchange(node, THREE)
    assert [item["id"] for item in json.loads(reply)] == [3, 2, 1]
    w3 = http3(node)
    with w3.batch_requests() as b:  # web3 sorts batch answers by id: nothing to see
        b.add(w3.eth.get_block_number())
        b.add(w3.eth.get_balance(DEV))
        number, balance = b.execute()
    assert (number, balance) == (node.block_number(), w3.eth.get_balance(DEV))
    node.faults.clear()
    node.faults.add({"action": {"kind": "batch_reorder", "order": "shuffle"}})
    many = batch(*[("eth_chainId", [])] * 8)
    orders = {tuple(i["id"] for i in json.loads(http_exchange(node, many)[1])) for _ in range(3)}
    assert all(sorted(order) == list(range(1, 9)) for order in orders)
    assert any(order != tuple(range(1, 9)) for order in orders)


# ----------------------------------------------------------------------- rate limits

INFURA_429 = {
    "code": -32005,
    "message": "project ID request rate exceeded",
    "data": {
        "see": "https://infura.io/docs/ethereum/jsonrpc/ratelimits",
        "current_rps": 13.333,
        "allowed_rps": 10.0,
        "backoff_seconds": 30.0,
    },
}


def test_rate_limit_as_http_429_is_retried_by_web3(node: MockNode) -> None:
    node.faults.add({"action": {"kind": "rate_limit", "rate": 8, "burst": 1}})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, body("eth_chainId")) + post(raw.port, body("eth_chainId")))
    assert json.loads(raw.read_http()[1])["result"] == "0x7a69"
    head, reply = raw.read_http()
    raw.close()
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 429 Too Many Requests"
    assert b"\r\nRetry-After: 1\r\n" in head + b"\r\n"
    assert json.loads(reply) == {"jsonrpc": "2.0", "id": 1, "error": INFURA_429}
    # web3's HTTP retry (on HTTPError, 0.125 s then 0.25 s...) waits for the bucket.
    w3 = http3(node, retry=True)
    assert [w3.eth.chain_id for _ in range(3)] == [31337] * 3
    faults = [e for e in entries(node) if e["kind"] == "fault"]
    assert faults
    assert all(e["fault"] == "rate_limit" for e in faults)


def test_rate_limit_in_a_200_and_per_batch_item(node: MockNode) -> None:
    node.faults.add({"action": {"kind": "rate_limit", "rate": 1, "reply": "json_rpc"}})
    w3 = http3(node)
    assert w3.eth.chain_id == 31337
    with pytest.raises(Web3RPCError) as caught:
        w3.eth.get_block_number()
    assert rpc_error(caught) == INFURA_429
    node.faults.clear()
    node.faults.add(
        {"action": {"kind": "rate_limit", "rate": 1, "burst": 2, "reply": "batch_item"}}
    )
    _, reply = http_exchange(node, THREE)
    first, second, third = json.loads(reply)
    assert "result" in first
    assert "result" in second
    assert third["error"]["code"] == 429
    assert third["error"]["message"].startswith("Your app has exceeded its compute units")


def test_rate_limited_batch_item_turns_the_http_answer_into_a_429(node: MockNode) -> None:
    node.faults.add({"action": {"kind": "rate_limit", "rate": 1, "burst": 2}})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, THREE))
    head, reply = raw.read_http()
    raw.close()
    assert head.startswith(b"HTTP/1.1 429 Too Many Requests")
    assert json.loads(reply) == {"jsonrpc": "2.0", "id": None, "error": INFURA_429}

    async def main() -> Any:
        async with ws(node) as w3:  # over WebSocket the same rule is an error object
            await asyncio.sleep(1.0)
            assert await w3.eth.chain_id == 31337
            with pytest.raises(Web3RPCError) as caught:
                await w3.eth.block_number
            return rpc_error(caught)

    assert asyncio.run(main()) == INFURA_429


def test_persona_infura_rate_limits_a_burst(node: MockNode) -> None:
    node.faults.persona = "infura"  # 10 requests/s, bucket of 10
    raw = Raw.tcp(node)
    raw.send(post(raw.port, batch(*[("eth_chainId", [])] * 10)))
    assert len(json.loads(raw.read_http()[1])) == 10
    raw.send(post(raw.port, body("eth_chainId")))
    head, reply = raw.read_http()
    raw.close()
    assert head.startswith(b"HTTP/1.1 429")
    assert json.loads(reply)["error"] == INFURA_429
    assert [e[4:] for e in summary(node) if e[0] == "fault"] == [(None, "rate_limit")]


# ----------------------------------------------------------------------- provider limits


@pytest.fixture(scope="module")
def logger(node: MockNode) -> tuple[str, int, int]:
    """A contract with three logs in three consecutive blocks: (address, first, last)."""
    w3 = http3(node, timeout=5)
    address = deploy_logger(w3)
    first = w3.eth.block_number + 1
    emit_logs(w3, address, 3)
    return address, first, first + 2


def logs_query(address: str, first: int, last: int) -> list[Any]:
    return [{"address": address, "fromBlock": hex(first), "toBlock": hex(last)}]


def test_provider_limit_infura_result_cap(node: MockNode, logger: tuple[str, int, int]) -> None:
    address, first, last = logger
    w3 = http3(node)
    node.faults.add({"action": {"kind": "provider_limit", "max_results": 2}})
    with pytest.raises(Web3RPCError) as caught:
        w3.eth.get_logs({"address": address, "fromBlock": first, "toBlock": last})
    assert rpc_error(caught) == {"code": -32005, "message": "query returned more than 2 results"}
    assert len(w3.eth.get_logs({"address": address, "fromBlock": first, "toBlock": last - 1})) == 2
    # Within the cap the rule declines: no fault is journaled for that call.
    assert [e["fault"] for e in entries(node) if e["kind"] == "fault"] == ["provider_limit"]


def test_provider_limit_infura_block_range_refuses_without_running(
    node: MockNode, logger: tuple[str, int, int]
) -> None:
    address, first, last = logger
    node.faults.add({"action": {"kind": "provider_limit", "max_block_range": 2, "max_results": 5}})
    _, reply = http_exchange(node, body("eth_getLogs", logs_query(address, first, last)))
    assert json.loads(reply)["error"] == {
        "code": -32005,
        "message": "query returned more than 5 results",
    }


def test_provider_limit_alchemy_needs_both_caps_passed(
    node: MockNode, logger: tuple[str, int, int]
) -> None:
    address, first, last = logger
    node.faults.add(
        {
            "action": {
                "kind": "provider_limit",
                "provider": "alchemy",
                "max_block_range": 2,
                "max_results": 2,
            }
        }
    )
    w3 = http3(node)
    with pytest.raises(Web3RPCError) as caught:
        w3.eth.get_logs({"address": address, "fromBlock": first, "toBlock": last})
    assert rpc_error(caught) == {
        "code": -32602,
        "message": "Log response size exceeded. You can make eth_getLogs requests with up to "
        "a 2K block range and no limit on the response size, or you can request any block "
        "range with a cap of 10K logs in the response. Based on your parameters, this block "
        f"range should work: [{hex(first)}, {hex(first + 1)}]",
    }
    # Within the block range any result count is served; past it, few results are too.
    assert len(w3.eth.get_logs({"address": address, "fromBlock": first, "toBlock": first + 1})) == 2
    assert len(w3.eth.get_logs({"address": address, "fromBlock": 0, "toBlock": first})) == 1


def test_provider_limit_on_a_batch_item(node: MockNode, logger: tuple[str, int, int]) -> None:
    address, first, last = logger
    node.faults.add({"action": {"kind": "provider_limit", "max_results": 2}})
    payload = batch(("eth_chainId", []), ("eth_getLogs", logs_query(address, first, last)))
    _, reply = http_exchange(node, payload)
    chain, logs = json.loads(reply)
    assert chain["result"] == "0x7a69"
    assert logs == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {"code": -32005, "message": "query returned more than 2 results"},
    }
