"""The four ways to control faults, end to end: Python (the trio node's Faults, the threaded
node's proxy), JSON-RPC (``mock_*``), plans and node config; the journal as they record it.
Every behaviour is observed by a real client over a real socket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio
from faultwire import Raw, body, entries, http3, post, reset, serve, summary
from web3 import AsyncWeb3, WebSocketProvider
from web3.exceptions import Web3RPCError

from mocknode import MockNode, NodeConfig, open_mocknode
from mocknode.controls import FaultsProxy
from mocknode.faults import FaultHandle, Faults, FaultSpecError, Rule
from mocknode.faults import journal as journal_module
from mocknode.faults.controller import DEFAULT_JOURNAL_CAP, DEFAULT_JOURNAL_PAGE

HEADER_NOT_FOUND = {"action": {"kind": "error", "template": "geth.header_not_found"}}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    yield from serve(tmp_path_factory.mktemp("control"))


@pytest.fixture(autouse=True)
def _clean(node: MockNode) -> Iterator[None]:
    yield
    reset(node)


def rpc(node: MockNode, method: str, *params: Any) -> dict[str, Any]:
    return dict(http3(node).provider.make_request(method, list(params)))  # type: ignore[arg-type]


def test_add_returns_a_handle_that_removes_its_rule(node: MockNode) -> None:
    w3 = http3(node)
    handle = node.faults.add(HEADER_NOT_FOUND)
    assert isinstance(handle, FaultHandle)
    assert handle.id == 1
    with pytest.raises(Web3RPCError) as caught:
        w3.eth.get_block_number()
    assert caught.value.rpc_response is not None
    assert caught.value.rpc_response["error"] == {"code": -32000, "message": "header not found"}
    status = handle.status
    assert status is not None
    assert (status.matched, status.fired) == (1, 1)
    assert handle.remove() is True
    assert handle.remove() is False
    assert handle.status is None
    assert w3.eth.block_number == 0
    assert node.faults.armed is False


def test_inject_keywords_scope_the_rule_to_the_block(node: MockNode) -> None:
    w3 = http3(node)
    with node.faults.inject(
        kind="error", code=-32002, message="request timed out", match={"method": "eth_chainId"}
    ) as handle:
        assert w3.eth.block_number == 0  # another method: not matched
        with pytest.raises(Web3RPCError, match="request timed out"):
            _ = w3.eth.chain_id
        assert handle.fired == 1
    assert node.faults.list() == []
    assert w3.eth.chain_id == 31337


def test_inject_takes_a_rule_object(node: MockNode) -> None:
    rule = Rule.of("error", code=-32000, message="boom")
    with node.faults.inject(rule), pytest.raises(Web3RPCError, match="boom"):
        http3(node).eth.get_block_number()
    assert node.faults.list() == []
    with pytest.raises(TypeError, match="not both"), node.faults.inject(rule, kind="close"):
        pass


def test_ids_count_from_one_and_clear_restarts_them(node: MockNode) -> None:
    ids = [node.faults.add(HEADER_NOT_FOUND).id for _ in range(3)]
    assert ids == [1, 2, 3]
    assert node.faults.remove(2) is True
    assert [s.id for s in node.faults.list()] == [1, 3]
    node.faults.clear()
    assert node.faults.add(HEADER_NOT_FOUND).id == 1


def test_mock_methods_over_json_rpc(node: MockNode) -> None:
    rule = {"match": {"method": "eth_chainId"}, "trigger": {"times": 1}, **HEADER_NOT_FOUND}
    assert rpc(node, "mock_addFault", rule)["result"] == 1
    listed = rpc(node, "mock_listFaults")["result"]
    assert listed == [
        {
            "id": 1,
            "match": {"method": "eth_chainId"},
            "trigger": {"times": 1},
            "action": {"kind": "error", "template": "geth.header_not_found"},
            "matched": 0,
            "fired": 0,
        }
    ]
    w3 = http3(node)
    with pytest.raises(Web3RPCError, match="header not found"):
        _ = w3.eth.chain_id
    assert w3.eth.chain_id == 31337  # times: 1
    assert rpc(node, "mock_listFaults")["result"][0]["fired"] == 1
    assert rpc(node, "mock_setSeed", 7)["result"] is True
    assert node.faults.seed == 7
    assert rpc(node, "mock_removeFault", 1)["result"] is True
    assert rpc(node, "mock_removeFault", 1)["result"] is False
    assert rpc(node, "mock_addFault", rule)["result"] == 2
    assert rpc(node, "mock_clearFaults")["result"] is True
    assert rpc(node, "mock_listFaults")["result"] == []


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            "mock_addFault",
            [{"action": {"kind": "http_status", "status": "x"}}],
            'action.status: expected an integer from 200 to 599, got "x"',
        ),
        (
            "mock_addFault",
            [{"action": {"kind": "dealy"}}],
            'action.kind: unknown fault kind "dealy"; did you mean "delay"? '
            "(the kinds are listed in docs/faults.md)",
        ),
        (
            "mock_addFault",
            [{"match": {"transport": "http"}, "action": {"kind": "reorg"}}],
            'match.transport: reorg acts on the chain, not on a connection: leave transport "any"',
        ),
        ("mock_addFault", [], "missing value for required argument 0"),
        ("mock_removeFault", ["1"], "invalid argument 0: expected a rule id (a positive integer)"),
        ("mock_setSeed", [-1], "seed: expected an integer from 0 to 18446744073709551615, got -1"),
        ("mock_journal", [{"since": -1}], "since: expected an integer >= 0, got -1"),
        ("mock_journal", [{"from": 1}], "from: unknown field (use since and limit)"),
    ],
)
def test_refused_control_calls_are_invalid_params(
    node: MockNode, method: str, params: list[Any], message: str
) -> None:
    answer = rpc(node, method, *params)
    assert answer["error"] == {"code": -32602, "message": message}
    assert node.faults.list() == []


def test_python_refuses_what_json_rpc_refuses(node: MockNode) -> None:
    with pytest.raises(FaultSpecError, match="reorg acts on the chain"):
        node.faults.add({"match": {"transport": "http"}, "action": {"kind": "reorg"}})
    with pytest.raises(FaultSpecError, match="unknown fault kind"):
        node.faults.add({"action": {"kind": "nope"}})
    with pytest.raises(FaultSpecError, match="expected a Rule or a rule object"):
        node.faults.add(42)  # type: ignore[arg-type]
    assert node.faults.armed is False


def test_control_calls_are_never_faulted_counted_or_journaled(node: MockNode) -> None:
    node.faults.add({"action": {"kind": "error", "code": -1, "message": "everything fails"}})
    answer = rpc(node, "mock_listFaults")
    assert answer["result"][0]["matched"] == 0
    assert rpc(node, "mock_journal", {"since": 0})["result"]["entries"] == []
    # A batch holding a control call is not faulted as a whole; its other calls are.
    raw = Raw.tcp(node)
    batch = b"[" + body("mock_listFaults", ident=1) + b"," + body("eth_chainId", ident=2) + b"]"
    raw.send(post(raw.port, batch))
    _, reply = raw.read_http()
    first, second = json.loads(reply)
    assert first["result"][0]["id"] == 1
    assert second == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {"code": -1, "message": "everything fails"},
    }
    assert [(k, m, i, r, f) for k, _, m, i, r, f in summary(node)] == [
        ("connect", None, None, None, None),
        ("request", "eth_chainId", 2, None, None),
        ("fault", "eth_chainId", 2, 1, "error"),
        ("response", None, None, None, None),
    ]
    raw.close()


def test_journal_pages_with_since_and_limit(node: MockNode) -> None:
    node.faults.recording = True
    w3 = http3(node)
    for _ in range(3):
        w3.eth.get_block_number()
    first = rpc(node, "mock_journal", {"limit": 2})["result"]
    assert [e["kind"] for e in first["entries"]] == ["connect", "request"]
    assert (first["next"], first["oldest"], first["dropped"]) == (2, 1, 0)
    rest = rpc(node, "mock_journal", {"since": first["next"]})["result"]
    assert [e["seq"] for e in rest["entries"]] == [3, 4, 5, 6, 7]
    assert rest["next"] == 7
    empty = rpc(node, "mock_journal", {"since": 7})["result"]
    assert empty == {"entries": [], "next": 7, "oldest": 1, "dropped": 0}
    entry = rest["entries"][1]
    assert set(entry) == {
        "seq",
        "time",
        "connection",
        "transport",
        "kind",
        "method",
        "id",
        "rule",
        "fault",
        "draw",
        "size",
    }
    assert (entry["transport"], entry["method"], entry["size"]) == ("http", "eth_blockNumber", 70)


def test_recording_journals_without_rules_and_unarmed_journals_nothing(node: MockNode) -> None:
    w3 = http3(node)
    w3.eth.get_block_number()
    assert entries(node) == []
    node.faults.recording = True
    assert node.faults.armed is True
    w3.eth.get_block_number()
    connection = entries(node)[0]["connection"]
    assert entries(node) == [
        {
            "seq": 1,
            "connection": connection,
            "transport": "http",
            "kind": "connect",
            "method": None,
            "id": None,
            "rule": None,
            "fault": None,
            "draw": None,
            "size": None,
        },
        {
            "seq": 2,
            "connection": connection,
            "transport": "http",
            "kind": "request",
            "method": "eth_blockNumber",
            "id": 1,
            "rule": None,
            "fault": None,
            "draw": None,
            "size": 70,
        },
        {
            "seq": 3,
            "connection": connection,
            "transport": "http",
            "kind": "response",
            "method": "eth_blockNumber",
            "id": 1,
            "rule": None,
            "fault": None,
            "draw": None,
            "size": 39,
        },
    ]
    node.faults.recording = False
    assert node.faults.armed is False
    w3.eth.get_block_number()
    assert len(entries(node)) == 3


def test_each_journal_run_is_self_contained(node: MockNode) -> None:
    node.faults.recording = True
    early, kept = Raw.tcp(node), Raw.tcp(node)
    for raw in (early, kept):
        raw.send(post(raw.port, body("eth_chainId")))
        raw.read_http()
    node.faults.clear_journal()
    early.close()  # a connection this run never saw: its close is not journaled
    kept.send(post(kept.port, body("eth_chainId")))
    kept.read_http()
    kept.close()
    deadline = time.monotonic() + 2
    while [e["kind"] for e in entries(node)][-1:] != ["close"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e["kind"] for e in entries(node)] == ["connect", "request", "response", "close"]
    assert len({e["connection"] for e in entries(node)}) == 1


def test_journal_times_are_the_node_clock(node: MockNode) -> None:
    node.faults.recording = True
    http3(node).eth.get_block_number()
    times = [e["time"] for e in entries(node, keep_time=True)]
    assert times == sorted(times)
    assert 0 < times[0] < 600  # seconds since this node started serving, not the epoch


def test_notifications_are_journaled_only_while_armed(node: MockNode) -> None:
    async def main() -> list[str]:
        async with AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=2)) as w3:
            sub = await w3.eth.subscribe("newHeads")
            got = []
            for armed in (False, True, False):
                node.faults.recording = armed
                await asyncio.to_thread(node.mine)
                async for message in w3.socket.process_subscriptions():
                    got.append(message["subscription"])
                    break
            await w3.eth.unsubscribe(sub)
            return got

    subs = asyncio.run(main())
    assert len(subs) == 3
    kinds = [e["kind"] for e in entries(node)]
    assert kinds.count("notification") == 1
    note = next(e for e in entries(node) if e["kind"] == "notification")
    assert (note["transport"], note["method"]) == ("ws", "eth_subscription")


def test_threaded_node_hands_out_a_proxy(node: MockNode) -> None:
    faults = node.faults
    assert isinstance(faults, FaultsProxy)
    with faults.inject(HEADER_NOT_FOUND) as handle:
        assert faults.armed is True
        assert [s.id for s in faults.list()] == [handle.id]
        with pytest.raises(Web3RPCError):
            http3(node).eth.get_block_number()
    assert faults.list() == []
    faults.set_seed(11)
    assert faults.seed == 11
    faults.persona = "erigon"
    assert faults.persona == "erigon"
    faults.recording = True
    assert faults.recording is True
    faults.clear_journal()
    assert faults.journal_page().entries == ()


def test_trio_node_hands_out_the_faults_itself() -> None:
    async def main() -> None:
        async with open_mocknode(NodeConfig(port=0, ipc_path=None)) as node:
            assert isinstance(node.faults, Faults)
            assert node.faults is node.node.faults
            node.faults.add({"action": {"kind": "close"}})
            # In-process requests take no socket: faults never apply to them.
            assert await node.request("eth_chainId") == "0x7a69"
            stream = await trio.open_tcp_stream("127.0.0.1", int(node.http_url.rsplit(":", 1)[1]))
            await stream.send_all(post(0, body("eth_chainId")))
            assert await stream.receive_some(1024) == b""  # closed without a reply
            await stream.aclose()

    trio.run(main)


def test_persona_limits_apply_after_the_rules(node: MockNode) -> None:
    node.faults.persona = "erigon"
    assert node.faults.armed is True
    assert node.faults.list() == []  # a persona's limits are not user rules
    raw = Raw.tcp(node)
    calls = b",".join(body("eth_chainId", ident=i) for i in range(101))
    raw.send(post(raw.port, b"[" + calls + b"]"))
    _, reply = raw.read_http()
    assert json.loads(reply) == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32000,
            "message": "batch limit 100 exceeded (can increase by --rpc.batch.limit). "
            "Requested batch of size: 101",
        },
    }
    raw.send(
        post(raw.port, b"[" + b",".join(body("eth_chainId", ident=i) for i in range(100)) + b"]")
    )
    _, reply = raw.read_http()
    assert len(json.loads(reply)) == 100
    fault = next(e for e in entries(node) if e["kind"] == "fault")
    assert (fault["fault"], fault["rule"]) == ("batch_limit", None)
    # A user rule wins over the persona.
    node.faults.add({"action": {"kind": "batch_limit", "limit": 5, "shape": "close"}})
    raw.send(post(raw.port, b"[" + calls + b"]"))
    assert raw.read_until_end() == (b"", "eof")
    raw.close()
    with pytest.raises(FaultSpecError, match="unknown persona"):
        node.faults.persona = "quicknode"


def test_plan_file_applies_seed_persona_cap_and_rules(node: MockNode, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'seed = 9\npersona = "geth"\njournal_cap = 50\n\n[[rules]]\n'
        'match = { method = "eth_chainId" }\n'
        'action = { kind = "error", template = "geth.request_timed_out" }\n'
    )
    handles = node.faults.load_plan(plan)
    assert [h.id for h in handles] == [1]
    assert node.faults.seed == 9
    assert node.faults.persona == "geth"
    with pytest.raises(Web3RPCError, match="request timed out"):
        _ = http3(node).eth.chain_id
    handles[0].remove()
    node.faults.recording = True
    w3 = http3(node)
    for _ in range(30):
        w3.eth.get_block_number()
    page = node.faults.journal_page(0, 1000)
    assert len(page.entries) == 50
    assert page.oldest == page.entries[-1].seq - 49
    assert page.dropped == page.oldest - 1


def test_node_config_arms_the_node_from_the_start(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"seed": 3, "rules": [HEADER_NOT_FOUND]}))
    with MockNode(NodeConfig(port=0, ipc_path=None, faults=str(plan), journal=True)) as node:
        assert node.faults.seed == 3
        with pytest.raises(Web3RPCError, match="header not found"):
            http3(node).eth.get_block_number()
        assert [e[0] for e in summary(node)] == ["connect", "request", "fault", "response"]
    with MockNode(NodeConfig(port=0, ipc_path=None, fault_seed=5, persona="infura")) as node:
        assert (node.faults.seed, node.faults.persona) == (5, "infura")


def test_defaults_repeat_the_journal_module() -> None:
    assert DEFAULT_JOURNAL_CAP == journal_module.DEFAULT_CAP
    assert DEFAULT_JOURNAL_PAGE == journal_module.DEFAULT_PAGE
