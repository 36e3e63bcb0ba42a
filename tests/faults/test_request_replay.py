"""The same rule reached all four ways behaves the same, and a rerun with the same seed
journals exactly the same run.

Python (``node.faults.add``), JSON-RPC (``mock_addFault`` on the very connection under
test: control calls are not counted, so they do not shift the connection's sequence), a
plan given to ``Faults.load_plan`` and a plan in ``NodeConfig``: each on a fresh node, the
same traffic, the same answers and the same journal. Across fresh nodes with one seed the
``mock_journal`` pages are equal; with another seed the draws differ. On trio's autojump
clock the journal's times are equal too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from faultwire import Raw, body, close_ipc_clients, http3, ipc3, post
from web3 import Web3
from web3.exceptions import Web3RPCError

from mocknode import MockNode, NodeConfig, open_mocknode
from mocknode.faults import parse_plan

FLAKY = {
    "match": {"method": "eth_getBalance"},
    "trigger": {"probability": 0.5},
    "action": {"kind": "error", "template": "geth.header_not_found"},
}
DEV = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def outcomes(w3: Web3, calls: int = 16) -> list[str]:
    out = []
    for _ in range(calls):
        try:
            w3.eth.get_balance(DEV)
        except Web3RPCError as exc:
            out.append(str(exc))
        else:
            out.append("ok")
    return out


def journal(w3: Web3) -> list[dict[str, Any]]:
    page = w3.provider.make_request("mock_journal", [{"limit": 10_000}])  # type: ignore[arg-type]
    entries = list(page["result"]["entries"])
    for entry in entries:
        del entry["time"]
    return entries


def run(tmp: Path, how: str, seed: int = 1) -> tuple[list[str], list[dict[str, Any]]]:
    plan = tmp / f"{how}.json"
    plan.write_text(json.dumps({"seed": seed, "rules": [FLAKY]}))
    config = NodeConfig(port=0, ipc_path=None, fault_seed=seed, journal=True)
    if how == "config":
        config = NodeConfig(port=0, ipc_path=None, faults=str(plan), journal=True)
    with MockNode(config) as node:
        w3 = http3(node)
        # Every path sends one control call first on the connection under test (so web3's
        # request ids line up): it is neither counted nor journaled.
        if how == "json-rpc":
            added = w3.provider.make_request("mock_addFault", [FLAKY])  # type: ignore[arg-type]
            assert added["result"] == 1
        else:
            if how == "python":
                node.faults.add(FLAKY)
            elif how == "plan":
                node.faults.load_plan(plan)
            listed = w3.provider.make_request("mock_listFaults", [])  # type: ignore[arg-type]
            assert len(listed["result"]) == 1
        return outcomes(w3), journal(w3)


def test_every_control_path_gives_the_same_run(tmp_path: Path) -> None:
    answers, entries = run(tmp_path, "python")
    assert set(answers) == {"ok", "{'code': -32000, 'message': 'header not found'}"}
    faults = [e for e in entries if e["kind"] == "fault"]
    assert len(faults) == answers.count("{'code': -32000, 'message': 'header not found'}")
    assert all(e["rule"] == 1 and 0 <= e["draw"] < 0.5 for e in faults)
    for how in ("json-rpc", "plan", "config"):
        assert run(tmp_path, how) == (answers, entries), how


def test_another_seed_draws_differently(tmp_path: Path) -> None:
    assert run(tmp_path, "python", seed=1)[0] != run(tmp_path, "python", seed=2)[0]


MIXED_PLAN = {
    "seed": 42,
    "rules": [
        {
            "match": {"method": "eth_getBalance"},
            "trigger": {"probability": 0.4},
            "action": {"kind": "error", "code": -32000, "message": "missing trie node"},
        },
        {
            "match": {"method": "eth_blockNumber"},
            "action": {"kind": "delay", "seconds": {"uniform": [0.0, 0.01]}},
        },
        {"match": {"scope": "batch"}, "action": {"kind": "batch_reorder", "order": "shuffle"}},
        {"match": {"transport": "ipc"}, "trigger": {"every": 3}, "action": {"kind": "wrong_id"}},
        {
            "match": {"scope": "item", "method": "net_version"},
            "trigger": {"probability": 0.5},
            "action": {"kind": "batch_missing"},
        },
    ],
}


def scripted_traffic(node: MockNode) -> list[Any]:
    """HTTP calls, IPC calls and raw batches, one after the other; what came back."""
    seen: list[Any] = []
    w3 = http3(node)
    for _ in range(6):
        seen.append(w3.eth.block_number)
        try:
            seen.append(w3.eth.get_balance(DEV))
        except Web3RPCError as exc:
            seen.append(str(exc))
    raw = Raw.tcp(node)
    for _ in range(4):
        calls = b",".join(
            body(m, ident=i) for i, m in enumerate(["eth_chainId", "net_version"] * 3)
        )
        raw.send(post(raw.port, b"[" + calls + b"]"))
        seen.append([item["id"] for item in json.loads(raw.read_http()[1])])
    raw.close()
    ipc = ipc3(node)
    for _ in range(6):
        seen.append(ipc.eth.chain_id)
    close_ipc_clients()
    # Both runs end once the node has journaled that last close (it notices it a moment
    # after the client closed).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        e.kind == "close" and e.transport == "ipc" for e in node.faults.journal_page().entries
    ):
        time.sleep(0.01)
    return seen


@pytest.fixture
def ipc_config(tmp_path: Path) -> Any:
    def make(seed: int) -> NodeConfig:
        plan = tmp_path / f"mixed{seed}.json"
        plan.write_text(json.dumps({**MIXED_PLAN, "seed": seed}))
        return NodeConfig(port=0, ipc_path=str(tmp_path / f"n{seed}.ipc"), faults=str(plan))

    return make


def test_a_rerun_with_the_same_seed_journals_the_same(ipc_config: Any) -> None:
    runs = []
    for seed in (42, 42, 43):
        with MockNode(ipc_config(seed)) as node:
            seen = scripted_traffic(node)
            runs.append((seen, journal(http3(node))))
    (seen, first), (seen_again, again), (other_seen, other) = runs
    assert seen == seen_again
    assert first == again
    kinds = {e["fault"] for e in first if e["kind"] == "fault"}
    assert kinds == {"error", "delay", "batch_reorder", "wrong_id", "batch_missing"}
    assert {e["transport"] for e in first} == {"http", "ipc"}
    assert (other_seen, other) != (seen, first)


def test_on_the_autojump_clock_even_the_times_replay() -> None:
    plan = {
        "seed": 3,
        "rules": [
            {"trigger": {"probability": 0.3}, "action": {"kind": "hang", "seconds": 5}},
            {"action": {"kind": "delay", "seconds": {"lognormal": [0.0, 1.0]}}},
        ],
    }

    async def one_run() -> list[dict[str, Any]]:
        async with open_mocknode(NodeConfig(port=0, ipc_path=None)) as node:
            faults = node.faults
            faults.recording = True
            faults.load_plan(parse_plan(plan))
            port = int(node.http_url.rsplit(":", 1)[1])
            for _ in range(5):
                stream = await trio.open_tcp_stream("127.0.0.1", port)
                for ident in range(3):
                    await stream.send_all(post(port, body("eth_chainId", ident=ident)))
                    with trio.move_on_after(30):
                        if not await stream.receive_some(4096):
                            break
                await stream.aclose()
            await trio.sleep(1)  # (free on this clock) the node notices the last close
            return faults.journal_page(0, 10_000).render()["entries"]

    def replay() -> list[dict[str, Any]]:
        return trio.run(one_run, clock=trio.testing.MockClock(autojump_threshold=0))

    first = replay()
    assert first == replay()
    assert len({e["time"] for e in first}) > 5  # the times moved, by the same steps
    assert {e["fault"] for e in first if e["kind"] == "fault"} == {"delay", "hang"}
