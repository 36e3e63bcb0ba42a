"""Every registered method, fuzzed over JSON-RPC with valid and invalid params.

Registry-driven: the method list and each method's arity come from
``mocknode.rpc.registry.registry``, so a method added later is fuzzed without editing this
file. For each method Hypothesis builds params lists of every arity from none to two past the
declared count, mixing values shaped for the declared decoder (addresses, hashes, quantities,
block tags, call objects, mine and reorg options) with hostile ones: hex strings odd,
empty, upper-case, zero-padded and huge; JSON numbers negative, fractional and past 2**256;
nulls, booleans, nested objects and arrays; and params given as an object or ``null``.

Each request must be answered within the client timeout with a result or an error whose code
is one a client can act on (never -32603, the internal error a bug becomes), and the node
must keep serving. A fresh chain (``anvil_reset``) and no fault rules follow every example, so
one example's state changes cannot hide another's failure.

Methods whose work grows with a caller-chosen count (:data:`COUNTED`: mining N blocks, reorg
depth) get no number between 100 and the node's limit (:data:`MAX_MINE_BLOCKS`): a legal
count of 90,000 blocks is slow by design, not a bug. Counts over the limit stay in, and must
be refused at once with -32602 like every other bad argument.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_budget import LONG, fuzz_settings
from fuzz_node import ABSENT, NodeHung, RpcClient, SubprocessNode
from hypothesis import given
from hypothesis import strategies as st

import mocknode.rpc.methods  # noqa: F401  (registers every method)
from mocknode.chain.mine_many import MAX_MINE_BLOCKS
from mocknode.rpc.registry import registry

# The codes a client is told: bad params, a server-side refusal, a revert, a method not
# offered on this transport (subscriptions over HTTP). -32603 is never acceptable.
EXPECTED_CODES = {-32602, -32000, 3, -32601}

# anvil answers a token with no findable balance/allowance slot with -32603 and this text
# (its ``BlockchainError::Message``); mocknode copies anvil, so it is the one -32603 allowed.
ANVIL_INTERNAL = {
    "Unable to set ERC20 balance, no slot found",
    "Unable to set ERC20 allowance, no slot found",
}
TOKEN_METHODS = {
    "anvil_dealERC20",
    "hardhat_dealERC20",
    "anvil_setERC20Balance",
    "anvil_setERC20Allowance",
}

DEV = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
]

# -- generic JSON values: mostly hostile ---------------------------------------------------

hex_digits = st.text("0123456789abcdefABCDEF", max_size=80)
huge_ints = st.sampled_from([2**63, 2**64, 2**64 - 1, 2**255, 2**256, 2**256 - 1, 10**80, -(2**64)])
hex_strings = st.one_of(
    hex_digits.map(lambda h: "0x" + h),
    hex_digits.map(lambda h: "0X" + h),
    hex_digits,  # no prefix
    st.sampled_from(
        ["0x", "0x0", "0x00", "0x01", "0x1", "0xg", "0x-1", " 0x1", "0x1 ", "0x" + "f" * 200]
    ),
    huge_ints.filter(lambda n: n >= 0).map(hex),
    st.binary(max_size=40).map(lambda b: "0x" + b.hex()),
)
json_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    huge_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, -1, 0.5, 1e300, -0.0]),
)
tags = st.sampled_from(["latest", "pending", "earliest", "safe", "finalized", "LATEST", "", "0"])
scalars = st.one_of(st.none(), st.booleans(), json_numbers, hex_strings, tags, st.text(max_size=20))
KEYS = [
    "from",
    "to",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "value",
    "data",
    "input",
    "nonce",
    "chainId",
    "type",
    "accessList",
    "blockHash",
    "blockNumber",
    "requireCanonical",
    "fromBlock",
    "toBlock",
    "address",
    "topics",
    "blocks",
    "timestamp",
    "depth",
    "forking",
    "jsonRpcUrl",
    "blobVersionedHashes",
    "authorizationList",
    "x",
]
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=12,
)

# -- values shaped for a decoder: mostly valid ---------------------------------------------

small_quantity = st.integers(0, 1000).map(hex)
small_count = st.one_of(st.integers(0, 3), st.integers(0, 3).map(hex))
addresses = st.one_of(
    st.sampled_from(DEV), st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
)
hashes = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
block_refs = st.one_of(
    tags,
    st.integers(0, 3).map(hex),
    hashes,
    st.fixed_dictionaries({"blockNumber": st.integers(0, 3).map(hex)}),
)
code = st.sampled_from(
    ["0x", "0x00", "0x6001600055", "0x60006000fd", "0x602a60005260206000f3", "0xfe"]
)
call_objects = st.fixed_dictionaries(
    {},
    optional={
        "from": addresses,
        "to": st.one_of(st.none(), addresses),
        "gas": st.integers(21_000, 1_000_000).map(hex),
        "value": st.integers(0, 10**18).map(hex),
        "data": code,
        "input": code,
        "nonce": small_quantity,
        "maxFeePerGas": st.integers(0, 10**11).map(hex),
        "maxPriorityFeePerGas": st.integers(0, 10**10).map(hex),
        "gasPrice": st.integers(0, 10**11).map(hex),
        "type": st.sampled_from(["0x0", "0x1", "0x2", "0x4", "0x7"]),
    },
)
log_filters = st.fixed_dictionaries(
    {},
    optional={
        "fromBlock": block_refs.filter(lambda v: isinstance(v, str) and len(v) < 66),
        "toBlock": st.sampled_from(["latest", "0x0", "0x2"]),
        "address": st.one_of(addresses, st.lists(addresses, max_size=3)),
        "topics": st.lists(st.one_of(st.none(), hashes, st.lists(hashes, max_size=2)), max_size=4),
        "blockHash": hashes,
    },
)
SHAPED: dict[str, st.SearchStrategy[Any]] = {
    "address": addresses,
    "hash32": hashes,
    "number": small_quantity,
    "number64": small_quantity,
    "quantity": small_quantity,
    "uint": small_count,
    "uint64": small_count,
    "count": small_count,
    "hex_or_decimal64": st.one_of(st.integers(0, 5), st.integers(0, 5).map(hex)),
    "block_number": st.one_of(tags, st.integers(0, 3).map(hex)),
    "block_ref": block_refs,
    "boolean": st.booleans(),
    "data": code,
    "slot": st.one_of(st.integers(0, 5), hashes),
    "storage_text": st.one_of(st.integers(0, 5).map(hex), hashes),
    "storage_keys": st.lists(hashes, max_size=3),
    "reward_percentiles": st.lists(st.floats(0, 100), max_size=4).map(sorted),
    "call_args": call_objects,
    "tx_args": call_objects,
    "log_filter": log_filters,
    "mine_options": st.one_of(
        st.none(),
        small_quantity,
        st.fixed_dictionaries({}, optional={"blocks": small_count, "timestamp": small_quantity}),
    ),
    "reset_options": st.one_of(st.none(), st.just({}), st.just({"forking": {"blockNumber": None}})),
    "rpc_id": st.one_of(hex_strings, st.just("0x1")),
    "seconds": st.one_of(st.integers(0, 100), st.floats(0, 100)),
    "reorg_options": st.fixed_dictionaries({"depth": small_count}),
    "pairs": st.lists(st.tuples(code, small_count).map(list), max_size=2),
}

# Methods whose work grows with a caller-chosen count: no legal but slow count in their
# params (see the module docstring); counts over the limit must be refused at once.
COUNTED = {
    "anvil_mine",
    "hardhat_mine",
    "evm_mine",
    "evm_mine_detailed",
    "anvil_mine_detailed",
    "anvil_reorg",
    "mock_reorg",
    "anvil_rollback",
}


def _quick(number: float) -> bool:
    return abs(number) < 100 or abs(number) > MAX_MINE_BLOCKS


def _no_slow_counts(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return _quick(value)
    if isinstance(value, str):
        try:
            return _quick(int(value, 16))
        except ValueError:
            return True
    if isinstance(value, list):
        return all(_no_slow_counts(v) for v in value)
    if isinstance(value, dict):
        return all(_no_slow_counts(v) for v in value.values())
    return True


def _decoder_name(decode: Any) -> str:
    return str(getattr(decode, "__name__", "")).lstrip("_")


def params_for(name: str) -> st.SearchStrategy[Any]:
    spec = registry.methods[name]
    shaped = [SHAPED.get(_decoder_name(p.decode), json_values) for p in spec.params]
    if spec.raw:
        shaped = [
            st.sampled_from(["newHeads", "logs", "newPendingTransactions", "syncing", "x"]),
            log_filters,
        ]
    values = [st.one_of(s, s, json_values) for s in shaped]
    extra = st.lists(json_values, max_size=2)
    count = len(values)
    as_list = (
        st.one_of(
            st.tuples(*values).flatmap(
                lambda full: st.integers(0, len(full)).map(lambda k: list(full[:k]))
            ),
            st.tuples(st.tuples(*values), extra).map(lambda t: list(t[0]) + t[1]),
        )
        if count
        else extra
    )
    strategy = st.one_of(
        as_list,
        as_list,
        st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3),
        st.just(None),
        st.just(ABSENT),
        scalars,
    )
    if name in COUNTED:
        strategy = strategy.filter(_no_slow_counts)
    return strategy


METHODS = sorted(registry.methods)


class Holder:
    """The node under fuzz; replaced when one hangs, so later tests still run."""

    def __init__(self, ipc: Path) -> None:
        self.ipc = ipc
        self.node = SubprocessNode(ipc)
        self.client = RpcClient(self.node.port, timeout=30.0 if LONG else 15.0)

    def restart(self) -> None:
        self.client.close()
        self.node.stop()
        self.node = SubprocessNode(self.ipc)
        self.client = RpcClient(self.node.port, timeout=self.client.timeout)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holder]:
    holder = Holder(tmp_path_factory.mktemp("fuzz") / "node.ipc")
    try:
        yield holder
    finally:
        holder.client.close()
        holder.node.stop()


def check_reply(name: str, params: Any, reply: dict[str, Any]) -> None:
    sent = "absent" if params is ABSENT else json.dumps(params)
    assert ("result" in reply) != ("error" in reply), (name, sent, reply)
    if "error" in reply:
        error = reply["error"]
        anvil_shape = name in TOKEN_METHODS and error["message"] in ANVIL_INTERNAL
        assert error["code"] in EXPECTED_CODES or anvil_shape, f"{name} {sent} -> {error}"
        assert isinstance(error["message"], str), (name, sent, error)
        assert error["message"], (name, sent, error)


def restore(client: RpcClient) -> None:
    """No faults, a fresh chain, automine on; then the node must still answer."""
    client.call("mock_clearFaults")
    client.call("anvil_reset")
    client.call("evm_setAutomine", True)
    client.call("evm_setIntervalMining", 0)
    assert client.call("eth_blockNumber") == "0x0"


@pytest.mark.parametrize("name", METHODS)
def test_every_method_answers_fuzzed_params(fuzzed: Holder, name: str) -> None:
    @fuzz_settings(ci_examples=6, long_examples=300)
    @given(params=params_for(name))
    def run(params: Any) -> None:
        try:
            reply = fuzzed.client.request(name, params)
            check_reply(name, params, reply)
            restore(fuzzed.client)
        except NodeHung:
            fuzzed.restart()
            raise

    run()
