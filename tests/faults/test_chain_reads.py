"""Chain faults decided per request, as web3.py sees them over real sockets: a stale head,
load-balanced replicas, pruned state, expiring filters, a lagging index and pool errors
on demand. Each answer is the node's own for the lagged or pruned chain; the chain itself
is never changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import trio
import trio.testing
from eth_account import Account
from faultwire import deploy_logger, emit_logs, http3, reset, serve, summary
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound, Web3RPCError

from mocknode import MockNode, NodeConfig, open_mocknode


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    yield from serve(tmp_path_factory.mktemp("chain-reads"))


@pytest.fixture(autouse=True)
def _isolated(node: MockNode) -> Iterator[None]:
    snapshot = node.snapshot()
    yield
    reset(node)
    assert node.revert(snapshot)


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return http3(node, timeout=10)


def rpc_error(call: Any, *args: Any) -> dict[str, Any]:
    """The error object ``call(*args)`` was refused with."""
    with pytest.raises(Web3RPCError) as caught:
        call(*args)
    response = caught.value.rpc_response
    assert response is not None
    return dict(response["error"])


def fault_kinds(node: MockNode) -> list[str]:
    return [entry[5] for entry in summary(node) if entry[0] == "fault"]


# ----------------------------------------------------------------------- stale_head


def test_block_number_goes_back_then_forward(node: MockNode, w3: Web3) -> None:
    node.mine(5)
    head = w3.eth.block_number
    node.faults.add({"trigger": {"every": 2}, "action": {"kind": "stale_head", "blocks": 2}})
    assert [w3.eth.block_number for _ in range(4)] == [head, head - 2, head, head - 2]
    assert fault_kinds(node) == ["stale_head", "stale_head"]


def test_reads_are_answered_at_the_lagged_head(node: MockNode, w3: Web3) -> None:
    node.mine(4)
    head = w3.eth.block_number
    head_hash = w3.eth.get_block(head)["hash"]
    sender = w3.eth.accounts[0]
    node.faults.add({"action": {"kind": "stale_head", "blocks": 2}})
    assert w3.eth.get_block("latest")["number"] == head - 2
    with pytest.raises(BlockNotFound):
        w3.eth.get_block(head)  # null, as for a block that does not exist yet
    with pytest.raises(BlockNotFound):
        w3.eth.get_block(head_hash)
    assert rpc_error(w3.eth.get_balance, sender, head) == {
        "code": -32000,
        "message": "header not found",
    }
    assert w3.eth.get_balance(sender, head - 2) == w3.eth.get_balance(sender, "latest")
    node.faults.clear()
    assert w3.eth.block_number == head  # the chain itself never moved


def test_logs_of_blocks_above_the_lagged_head_are_not_there_yet(node: MockNode, w3: Web3) -> None:
    logger = deploy_logger(w3)
    emit_logs(w3, logger, 2)
    head = w3.eth.block_number
    query = {"address": logger, "fromBlock": head - 1, "toBlock": "latest"}
    assert [log["blockNumber"] for log in w3.eth.get_logs(query)] == [head - 1, head]  # type: ignore[arg-type]
    node.faults.add({"action": {"kind": "stale_head", "blocks": 1}})
    assert [log["blockNumber"] for log in w3.eth.get_logs(query)] == [head - 1]  # type: ignore[arg-type]
    assert w3.eth.get_logs({"address": logger, "fromBlock": head}) == []


def test_jitter_moves_the_lag(node: MockNode, w3: Web3) -> None:
    node.mine(10)
    head = w3.eth.block_number

    node.faults.set_seed(5)
    node.faults.add({"action": {"kind": "stale_head", "blocks": 1, "jitter": 3}})
    numbers = [w3.eth.block_number for _ in range(12)]
    assert all(head - 4 <= n <= head - 1 for n in numbers)
    assert len(set(numbers)) > 1  # non-monotonic (replayed exactly: test_chain_control)


def test_stale_head_on_batch_items(node: MockNode, w3: Web3) -> None:
    node.mine(3)
    head = w3.eth.block_number
    node.faults.add(
        {"match": {"method": "eth_blockNumber"}, "action": {"kind": "stale_head", "blocks": 3}}
    )
    with w3.batch_requests() as batch:
        batch.add(w3.eth.get_block("latest"))
        batch.add(w3.eth.block_number)
        latest, number = batch.execute()
    assert latest["number"] == head  # type: ignore[index]
    assert number == head - 3


# ----------------------------------------------------------------------- replicas


def test_round_robin_replicas_flip_the_nonce(node: MockNode, w3: Web3) -> None:
    sender = w3.eth.accounts[1]
    nonce = w3.eth.get_transaction_count(sender)
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": sender, "to": sender, "value": 0})
    )
    node.faults.add({"action": {"kind": "replicas", "lags": [0, 1]}})
    counts = [w3.eth.get_transaction_count(sender, "pending") for _ in range(4)]
    assert counts == [nonce + 1, nonce, nonce + 1, nonce]
    head = w3.eth.block_number  # the 5th call: replica 0
    assert w3.eth.block_number == head - 1


def test_a_filter_is_not_found_on_another_replica(node: MockNode, w3: Web3) -> None:
    node.faults.add({"action": {"kind": "replicas", "lags": [0, 0]}})
    block_filter = w3.eth.filter("latest")  # replica 0
    assert rpc_error(block_filter.get_new_entries) == {
        "code": -32000,
        "message": "filter not found",
    }  # replica 1
    node.mine(1)
    assert len(block_filter.get_new_entries()) == 1  # replica 0 again
    assert w3.eth.uninstall_filter(block_filter.filter_id) is False  # replica 1
    assert w3.eth.uninstall_filter(block_filter.filter_id) is True  # replica 0
    assert fault_kinds(node) == ["replicas", "replicas"]  # the two refusals only


def test_sticky_replicas_follow_the_connection(node: MockNode) -> None:
    node.mine(4)
    head = node.block_number()
    node.faults.add({"action": {"kind": "replicas", "lags": [0, 3], "policy": "sticky"}})
    clients = [http3(node, timeout=10), http3(node, timeout=10)]  # two connections
    seen = [{c.eth.block_number for _ in range(3)} for c in clients]
    assert sorted(seen, key=min) == [{head - 3}, {head}]


def test_random_replicas(node: MockNode, w3: Web3) -> None:
    node.mine(5)
    head = w3.eth.block_number
    node.faults.set_seed(11)
    node.faults.add({"action": {"kind": "replicas", "lags": [0, 1, 2], "policy": "random"}})
    numbers = {w3.eth.block_number for _ in range(12)}
    assert numbers == {head, head - 1, head - 2}  # (replayed exactly: test_chain_control)


# ----------------------------------------------------------------------- pruned_state


def test_state_older_than_k_blocks_is_a_missing_trie_node(node: MockNode, w3: Web3) -> None:
    node.mine(5)
    head = w3.eth.block_number
    sender = w3.eth.accounts[0]
    node.faults.add({"action": {"kind": "pruned_state", "blocks": 3}})
    old = w3.eth.get_block(head - 3)  # blocks are still there: only their state is gone
    root = bytes(old["stateRoot"]).hex()
    assert rpc_error(w3.eth.get_balance, sender, head - 3) == {
        "code": -32000,
        "message": f"missing trie node {root} (path ) <nil>",
    }
    assert rpc_error(w3.eth.call, {"to": sender}, head - 4)["message"].startswith(
        "missing trie node "
    )
    assert w3.eth.get_balance(sender, head - 2) == w3.eth.get_balance(sender)  # kept
    assert w3.eth.get_balance(sender, 0) > 0  # genesis state: on disk in geth's hash scheme
    assert fault_kinds(node) == ["pruned_state", "pruned_state"]


# ----------------------------------------------------------------------- filter_expiry


async def _frozen(clock: trio.testing.MockClock, steps: list[tuple[float, Any]]) -> list[Any]:
    """Each step after jumping the (frozen) node clock by its seconds: ``step(w3)`` run by a
    web3.py client in a worker thread against a fresh trio node with a filter_expiry rule
    of one second."""
    out = []
    async with open_mocknode(NodeConfig(port=0, ipc_path=None)) as node:
        node.faults.add({"action": {"kind": "filter_expiry", "seconds": 1}})
        w3 = http3(node, timeout=10)  # type: ignore[arg-type]  # http_url is all it reads
        for seconds, step in steps:
            clock.jump(seconds)
            out.append(await trio.to_thread.run_sync(_outcome, step, w3))
        out.append(fault_kinds(node))  # type: ignore[arg-type]
    return out


def _outcome(step: Any, w3: Web3) -> Any:
    try:
        return step(w3)
    except Web3RPCError as exc:
        response = exc.rpc_response
        return None if response is None else response["error"]


@pytest.mark.trio
async def test_an_idle_filter_expires(mock_clock: trio.testing.MockClock) -> None:
    ids: dict[str, str] = {}

    def install(name: str) -> Any:
        def step(w3: Web3) -> Any:
            ids[name] = w3.eth.filter("latest").filter_id
            return name

        return step

    def poll(name: str) -> Any:
        return lambda w3: w3.eth.get_filter_changes(ids[name])

    def uninstall(name: str) -> Any:
        return lambda w3: w3.eth.uninstall_filter(ids[name])

    gone = {"code": -32000, "message": "filter not found"}
    outcomes = await _frozen(
        mock_clock,
        [
            (0, install("kept")),
            (0, install("idle")),
            (0, install("logs")),
            (0.6, poll("kept")),
            (0.6, poll("kept")),  # 1.2 s after its install, 0.6 s after its last poll
            (0, poll("idle")),  # idle 1.2 s: gone
            (0, poll("idle")),  # really gone (uninstalled)
            (0, uninstall("logs")),  # expired: false
            (0, uninstall("kept")),
        ],
    )
    assert outcomes == [
        "kept",
        "idle",
        "logs",
        [],
        [],
        gone,
        gone,
        False,
        True,
        ["filter_expiry", "filter_expiry"],  # the expiries; live filters are not faulted
    ]


# ----------------------------------------------------------------------- index_lag


def test_receipts_and_logs_appear_k_blocks_late(node: MockNode, w3: Web3) -> None:
    logger = deploy_logger(w3)
    sender = w3.eth.accounts[0]
    log_filter = w3.eth.filter({"address": logger})
    node.faults.add({"action": {"kind": "index_lag", "blocks": 1}})
    sent = w3.eth.send_transaction({"from": sender, "to": logger, "gas": 50_000})
    block = w3.eth.block_number
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(sent)
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction(sent)
    assert w3.eth.get_logs({"address": logger, "fromBlock": block}) == []
    assert log_filter.get_new_entries() == []  # held back
    assert w3.eth.get_block(block)["transactions"] == [sent]  # the block itself is there
    node.mine(1)
    assert w3.eth.get_transaction_receipt(sent)["blockNumber"] == block
    assert [
        log["blockNumber"] for log in w3.eth.get_logs({"address": logger, "fromBlock": block})
    ] == [block]  # type: ignore[arg-type]
    assert [log["blockNumber"] for log in log_filter.get_new_entries()] == [block]  # delivered
    assert log_filter.get_new_entries() == []


# ----------------------------------------------------------------------- pool_error


def _exact(w3: Web3, sender: str, nonce: int, reason: str) -> str:
    cost = 21_000 * 2 * 10**9 + 1
    shown = min(w3.eth.get_balance(sender), cost - 1)
    return {
        "nonce_too_low": f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}",
        "already_known": "already known",
        "replacement_underpriced": "replacement transaction underpriced",
        "insufficient_funds": (
            "insufficient funds for gas * price + value: "
            f"balance {shown}, tx cost {cost}, overshot {cost - shown}"
        ),
    }[reason]


@pytest.mark.parametrize(
    "reason", ["nonce_too_low", "already_known", "replacement_underpriced", "insufficient_funds"]
)
def test_pool_errors_on_demand(node: MockNode, w3: Web3, reason: str) -> None:
    sender = w3.eth.accounts[2]
    nonce = w3.eth.get_transaction_count(sender)
    tx = {
        "from": sender,
        "to": sender,
        "value": 1,
        "gas": 21_000,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    node.faults.add({"action": {"kind": "pool_error", "reason": reason}})
    assert rpc_error(w3.eth.send_transaction, tx) == {
        "code": -32000,
        "message": _exact(w3, sender, nonce, reason),
    }
    assert w3.eth.get_transaction_count(sender, "pending") == nonce  # never pooled
    assert fault_kinds(node) == ["pool_error"]


def test_pool_error_on_a_raw_transaction(node: MockNode, w3: Web3) -> None:
    key = node.accounts[3].private_key
    sender = Account.from_key(key).address
    nonce = w3.eth.get_transaction_count(sender)
    signed = Account.sign_transaction(
        {
            "to": sender,
            "value": 0,
            "nonce": nonce,
            "gas": 21_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "chainId": 31337,
        },
        key,
    )
    node.faults.add({"action": {"kind": "pool_error"}})  # nonce_too_low by default
    assert rpc_error(w3.eth.send_raw_transaction, signed.raw_transaction) == {
        "code": -32000,
        "message": f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}",
    }
    node.faults.clear()
    assert bytes(w3.eth.send_raw_transaction(signed.raw_transaction)) == bytes(signed.hash)
