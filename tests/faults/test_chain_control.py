"""The chain faults reached all four ways, and replayed: the same rules given through
Python (``node.faults.add``), JSON-RPC (``mock_setSeed`` + ``mock_addFault``) or a plan
file make a web3.py client see the same thing and write the same journal, and a rerun
with the same seed writes it again, entry for entry (times included: the node clock is
trio's, frozen here).

(The fourth way, the pytest marker and fixture, hands its rules to ``Faults.add``.)"""

from __future__ import annotations

import itertools
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from web3 import HTTPProvider, Web3
from web3.exceptions import TransactionNotFound

from mocknode import NodeConfig, open_mocknode

SEED = 7
RULES: list[dict[str, Any]] = [
    {"trigger": {"probability": 0.5}, "action": {"kind": "drop_tx"}},
    {"trigger": {"every": 3}, "action": {"kind": "reorg", "transactions": "reinclude"}},
    {
        "match": {"method": "eth_blockNumber"},
        "action": {"kind": "stale_head", "blocks": 1, "jitter": 2},
    },
    {
        "match": {"method": "eth_getTransactionCount"},
        "action": {"kind": "replicas", "lags": [0, 1, 2], "policy": "random"},
    },
]


def scenario(w3: Web3) -> list[tuple[str, Any]]:
    """Six payments from three senders, reading the head, a nonce and each receipt."""
    accounts = w3.eth.accounts
    seen: list[tuple[str, Any]] = []
    for i in range(6):
        sent = w3.eth.send_transaction({"from": accounts[i % 3], "to": accounts[9], "value": 1})
        seen.append(("head", w3.eth.block_number))
        seen.append(("nonce", w3.eth.get_transaction_count(accounts[0])))
        try:
            seen.append(("mined in", w3.eth.get_transaction_receipt(sent)["blockNumber"]))
        except TransactionNotFound:
            seen.append(("mined in", None))
    return seen


async def run(
    how: str, plan: Path, seed: int = SEED
) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
    config = NodeConfig(port=0, ipc_path=None, faults=str(plan) if how == "plan" else None)
    async with open_mocknode(config) as node:
        if how == "python":
            node.faults.set_seed(seed)
            for rule in RULES:
                node.faults.add(rule)
        w3 = Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))

        def client() -> list[tuple[str, Any]]:
            if how == "json-rpc":
                provider = w3.provider
                assert provider.make_request("mock_setSeed", [seed])["result"] is True  # type: ignore[arg-type]
                for rule in RULES:
                    assert "result" in provider.make_request("mock_addFault", [rule])  # type: ignore[arg-type]
                # the same request ids as the other runs from here on (control calls are
                # never journaled, their connection is the client's own)
                provider.request_counter = itertools.count()  # type: ignore[attr-defined]
            return scenario(w3)

        seen = await trio.to_thread.run_sync(client)
        journal = node.faults.journal_page(0, 10_000).render()["entries"]
    return seen, journal


def _run(how: str, plan: Path, seed: int = SEED) -> tuple[list[Any], list[dict[str, Any]]]:
    return trio.run(partial(run, how, plan, seed), clock=trio.testing.MockClock())


def test_python_json_rpc_and_a_plan_file_give_the_same_run_and_journal(tmp_path: Path) -> None:
    plan = tmp_path / "chain.json"
    plan.write_text(json.dumps({"seed": SEED, "rules": RULES}))
    seen, journal = _run("python", plan)
    assert _run("json-rpc", plan) == (seen, journal)
    assert _run("plan", plan) == (seen, journal)
    assert _run("python", plan) == (seen, journal)  # the same seed: entry for entry
    faults = [e["fault"] for e in journal if e["kind"] == "fault"]
    assert set(faults) == {"drop_tx", "reorg", "stale_head", "replicas"}
    assert {e["time"] for e in journal} == {0.0}
    mined = [value for what, value in seen if what == "mined in"]
    assert None in mined  # some payments dropped
    assert any(value is not None for value in mined)
    assert _run("python", plan, SEED + 1)[1] != journal  # another seed: other decisions


def test_every_request_point_chain_kind_has_its_appliers() -> None:
    from mocknode.faults.catalogue import CATALOGUE
    from mocknode.faults.chain_appliers import REQUEST_KINDS
    from mocknode.faults.dispatch import ITEM_APPLIERS, REQUEST_APPLIERS

    chain_requests = {
        spec.name
        for spec in CATALOGUE.values()
        if spec.layer == "chain" and spec.points == ("request",)
    }
    assert set(REQUEST_KINDS) == chain_requests
    assert chain_requests <= set(REQUEST_APPLIERS) & set(ITEM_APPLIERS)


# The fourth way: the pytest plugin's marker, in a sync test (the shared threaded node) and
# in a trio test (a node served in the test's own run).

DROP_EVERY_OTHER = {"trigger": {"every": 2}, "action": {"kind": "drop_tx"}}
STALE = {"match": {"method": "eth_blockNumber"}, "action": {"kind": "stale_head", "blocks": 2}}


@pytest.mark.faults(DROP_EVERY_OTHER, seed=3)
def test_the_faults_marker_reaches_the_chain_kinds(mocknode: Any, faults: Any) -> None:
    w3 = Web3(HTTPProvider(mocknode.http_url, request_kwargs={"timeout": 10}))
    accounts = w3.eth.accounts
    sent = [
        w3.eth.send_transaction({"from": accounts[i], "to": accounts[9], "value": 1})
        for i in range(4)
    ]
    mined = [bytes(h) in {bytes(t) for t in _all_mined(w3)} for h in sent]
    assert mined == [True, False, True, False]
    assert faults.seed == 3
    assert [e.fault for e in faults.journal_page(0, 1000).entries if e.kind == "fault"] == [
        "drop_tx",
        "drop_tx",
    ]


def _all_mined(w3: Web3) -> list[Any]:
    return [
        tx for n in range(w3.eth.block_number + 1) for tx in w3.eth.get_block(n)["transactions"]
    ]


@pytest.mark.trio
@pytest.mark.faults(STALE)
async def test_the_faults_marker_in_a_trio_test(mocknode: Any) -> None:
    mocknode.mine(3)
    w3 = Web3(HTTPProvider(mocknode.http_url, request_kwargs={"timeout": 10}))
    assert await trio.to_thread.run_sync(lambda: w3.eth.block_number) == 1
    mocknode.faults.clear()
    assert await trio.to_thread.run_sync(lambda: w3.eth.block_number) == 3
