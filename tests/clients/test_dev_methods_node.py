"""What the node says about itself, its request log and anvil_reset, over JSON-RPC
(web3.py's provider on a real socket): anvil_nodeInfo, anvil_metadata (hardhat_metadata),
anvil_setLoggingEnabled (hardhat_), anvil_reset (hardhat_)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_helpers import DEV, FRESH
from dev_helpers import call, error
from web3 import HTTPProvider, Web3

from mocknode import MockNode, NodeConfig


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


@pytest.fixture
def own() -> Iterator[Web3]:
    """A node of the test's own: anvil_reset forgets every snapshot, the per-test
    revert of the shared node included."""
    with MockNode(NodeConfig(port=0, ipc_path=None)) as running:
        yield Web3(HTTPProvider(running.http_url, request_kwargs={"timeout": 10}))


def test_node_info_has_anvils_shape(w3: Web3) -> None:
    call(w3, "evm_mine", [])
    call(w3, "anvil_setNextBlockBaseFeePerGas", ["0x77"])
    block = call(w3, "eth_getBlockByNumber", ["latest", False])
    assert call(w3, "anvil_nodeInfo", []) == {
        "currentBlockNumber": block["number"],  # a hex quantity ...
        "currentBlockTimestamp": int(block["timestamp"], 16),  # ... a JSON number
        "currentBlockHash": block["hash"],
        "hardFork": "Prague",
        "transactionOrder": "fees",
        "environment": {
            "baseFee": "0x77",  # the next block's
            "chainId": 31337,
            "gasLimit": "0x1c9c380",
            "gasPrice": call(w3, "eth_gasPrice", []),
        },
        "forkConfig": {"forkUrl": None, "forkBlockNumber": None, "forkRetryBackoff": None},
        "network": "ethereum",
    }
    assert error(w3, "anvil_nodeInfo", [1])["message"] == "too many arguments, want at most 0"


def test_genesis_time(w3: Web3) -> None:
    genesis = call(w3, "eth_getBlockByNumber", ["0x0", False])
    assert call(w3, "anvil_getGenesisTime", []) == int(genesis["timestamp"], 16)


@pytest.mark.parametrize("name", ["anvil_metadata", "hardhat_metadata"])
def test_metadata_lists_the_snapshots(w3: Web3, name: str) -> None:
    first = call(w3, "evm_snapshot", [])
    call(w3, "evm_mine", [])
    second = call(w3, "evm_snapshot", [])
    block = call(w3, "eth_getBlockByNumber", ["latest", False])
    meta = call(w3, name, [])
    snapshots = meta.pop("snapshots")
    instance = meta.pop("instanceId")
    assert meta == {
        "clientVersion": call(w3, "web3_clientVersion", []),
        "clientSemver": "0.1.0",
        "chainId": 31337,
        "latestBlockNumber": int(block["number"], 16),
        "latestBlockHash": block["hash"],
        "forkedNetwork": None,
    }
    assert snapshots[second] == [int(block["number"], 16), block["hash"]]
    assert snapshots[first] == [int(block["number"], 16) - 1, block["parentHash"]]
    assert isinstance(instance, str)
    assert len(instance) == 66
    call(w3, "evm_revert", [first])
    assert second not in call(w3, name, [])["snapshots"]
    assert call(w3, name, [])["instanceId"] == instance  # a revert is no new instance


@pytest.mark.parametrize("name", ["anvil_setLoggingEnabled", "hardhat_setLoggingEnabled"])
def test_logging_switch(w3: Web3, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The fixtures' node starts with the log off; switched on, it prints each method
    as it is served, batch items included."""
    call(w3, "eth_chainId", [])
    assert call(w3, name, [True]) is None
    call(w3, "eth_blockNumber", [])
    w3.provider.make_batch_request([("eth_chainId", []), ("net_version", [])])  # type: ignore[attr-defined]
    assert call(w3, name, [False]) is None
    call(w3, "eth_blockNumber", [])
    assert capsys.readouterr().out == f"eth_blockNumber\neth_chainId\nnet_version\n{name}\n"


@pytest.mark.parametrize("name", ["anvil_reset", "hardhat_reset"])
@pytest.mark.parametrize(
    "params",
    [[], [None], [{}], [{"forking": {"blockNumber": None}}], [{"forking": None}]],
    ids=["none", "null", "empty", "viem", "forking-null"],
)
def test_reset_goes_back_to_genesis(own: Web3, name: str, params: list[object]) -> None:
    genesis = call(own, "eth_getBlockByNumber", ["0x0", False])
    instance = call(own, "anvil_metadata", [])["instanceId"]
    call(own, "anvil_setBalance", [FRESH, "0x100"])
    call(own, "anvil_mine", [3])
    call(own, "anvil_setChainId", [5])
    snap = call(own, "evm_snapshot", [])
    call(own, "anvil_impersonateAccount", [FRESH])
    call(own, "evm_setAutomine", [False])
    pending = call(own, "eth_sendTransaction", [{"from": DEV[0], "to": DEV[1]}])

    assert call(own, name, params) is None

    assert call(own, "eth_blockNumber", []) == "0x0"
    assert call(own, "eth_getBlockByNumber", ["latest", False]) == genesis
    assert call(own, "eth_getBalance", [FRESH, "latest"]) == "0x0"
    assert call(own, "eth_chainId", []) == "0x7a69"
    assert call(own, "eth_getTransactionByHash", [pending]) is None  # the pool is empty
    assert call(own, "evm_revert", [snap]) is False  # snapshots are forgotten
    assert call(own, "anvil_metadata", [])["instanceId"] != instance
    # Mining mode and impersonation stay, as in anvil.
    assert call(own, "anvil_getAutomine", []) is False
    assert FRESH.lower() in call(own, "eth_accounts", [])
    call(own, "evm_mine", [])
    block = call(own, "eth_getBlockByNumber", ["latest", False])
    assert (block["number"], block["parentHash"]) == ("0x1", genesis["hash"])


def test_reset_refuses_to_fork(own: Web3) -> None:
    for options in (
        {"forking": {"jsonRpcUrl": "https://rpc.invalid", "blockNumber": 1}},
        {"jsonRpcUrl": "https://rpc.invalid"},
        {"forking": {"blockNumber": 100}},
    ):
        assert error(own, "anvil_reset", [options]) == {
            "code": -32602,
            "message": "invalid argument 0: forking is not supported: "
            "mocknode serves its own chain only",
        }


def test_node_config_turns_the_request_log_on(capsys: pytest.CaptureFixture[str]) -> None:
    with MockNode(NodeConfig(port=0, ipc_path=None, log_requests=True)) as running:
        w3 = Web3(HTTPProvider(running.http_url, request_kwargs={"timeout": 10}))
        call(w3, "eth_chainId", [])
        call(w3, "anvil_nodeInfo", [])
    assert capsys.readouterr().out == "eth_chainId\nanvil_nodeInfo\n"
