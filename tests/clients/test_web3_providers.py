"""The same web3.py scenarios over every transport web3.py offers.

Each test takes the parametrised ``w3`` fixture (see ``conftest.py``) and so runs five
times: ``HTTPProvider`` and ``IPCProvider`` (sync ``Web3``), ``AsyncHTTPProvider``,
``WebSocketProvider`` and ``AsyncIPCProvider`` (``AsyncWeb3``). Scenarios are written
once as coroutines; :func:`aw` awaits what ``AsyncWeb3`` returns and passes through
what ``Web3`` returns. Expected values are what geth 1.16 answers.

The autouse ``isolated_chain`` fixture reverts the chain after every test, so block
numbers are asserted relative to ``start_block``: the head when the test began.
"""

from __future__ import annotations

from typing import Any

import pytest
from client_helpers import (
    CHAIN_ID,
    DEV,
    DEV_BALANCE,
    DEV_KEYS,
    EMPTY_BLOOM,
    FRESH,
    GWEI,
    aw,
    create_address,
    deploy_greeter,
    encode_revert_string,
    raw,
    raw_error,
    raw_result,
    run_batch,
    selector,
)
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TransactionNotFound,
)

pytestmark = pytest.mark.asyncio

# geth's key set for a mined transaction object, per type (geth 1.16's RPCTransaction:
# no blockTimestamp on transactions).
TX_COMMON = {
    "blockHash",
    "blockNumber",
    "from",
    "gas",
    "gasPrice",
    "hash",
    "input",
    "nonce",
    "to",
    "transactionIndex",
    "value",
    "type",
    "v",
    "r",
    "s",
}
TX_KEYS = {
    0: TX_COMMON | {"chainId"},  # EIP-155 protected legacy
    1: TX_COMMON | {"accessList", "chainId", "yParity"},
    2: TX_COMMON | {"maxFeePerGas", "maxPriorityFeePerGas", "accessList", "chainId", "yParity"},
    4: TX_COMMON
    | {
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "accessList",
        "chainId",
        "authorizationList",
        "yParity",
    },
}
# geth's receipt keys for a non-blob transaction.
RECEIPT_KEYS = {
    "blockHash",
    "blockNumber",
    "contractAddress",
    "cumulativeGasUsed",
    "effectiveGasPrice",
    "from",
    "gasUsed",
    "logs",
    "logsBloom",
    "status",
    "to",
    "transactionHash",
    "transactionIndex",
    "type",
}
# geth's block keys for a Prague block, no totalDifficulty.
BLOCK_KEYS = {
    "baseFeePerGas",
    "blobGasUsed",
    "difficulty",
    "excessBlobGas",
    "extraData",
    "gasLimit",
    "gasUsed",
    "hash",
    "logsBloom",
    "miner",
    "mixHash",
    "nonce",
    "number",
    "parentBeaconBlockRoot",
    "parentHash",
    "receiptsRoot",
    "requestsHash",
    "sha3Uncles",
    "size",
    "stateRoot",
    "timestamp",
    "transactions",
    "transactionsRoot",
    "uncles",
    "withdrawals",
    "withdrawalsRoot",
}
LOG_KEYS = [
    "address",
    "topics",
    "data",
    "blockNumber",
    "transactionHash",
    "transactionIndex",
    "blockHash",
    "blockTimestamp",
    "logIndex",
    "removed",
]

CUSTOM_SELECTOR = "0xf988f737"  # Custom(uint256,string)
PANIC_SELECTOR = "0x4e487b71"


def calldata(signature: str, types: list[str] | None = None, args: list[Any] | None = None) -> str:
    body = encode(types, args).hex() if types else ""
    return "0x" + selector(signature).hex() + body


async def send(w3: Any, tx: dict[str, Any]) -> tuple[Any, Any]:
    """eth_sendTransaction; with automine the receipt exists when the call returns."""
    tx_hash = await aw(w3.eth.send_transaction(tx))
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    return tx_hash, receipt


# -- identity and blocks -----------------------------------------------------------


async def test_chain_id_and_net_version(w3: Any) -> None:
    assert await aw(w3.eth.chain_id) == CHAIN_ID
    assert await aw(w3.net.version) == "31337"
    assert await raw_result(w3, "eth_chainId", []) == "0x7a69"
    assert await raw_result(w3, "net_version", []) == "31337"


async def test_block_number_advances_by_one_per_transaction(w3: Any, start_block: int) -> None:
    assert await aw(w3.eth.block_number) == start_block
    for i in range(1, 4):
        _, receipt = await send(w3, {"from": DEV[0], "to": DEV[1], "value": i})
        assert receipt["blockNumber"] == start_block + i
        assert await aw(w3.eth.block_number) == start_block + i
        assert await aw(w3.eth.get_block_number()) == start_block + i
    assert await raw_result(w3, "eth_blockNumber", []) == hex(start_block + 3)


async def test_balance_at_block(w3: Any, start_block: int) -> None:
    # Genesis allocation: every dev account starts with exactly 10,000 ETH.
    assert await aw(w3.eth.get_balance(DEV[0], 0)) == DEV_BALANCE
    assert await aw(w3.eth.get_balance(DEV[7], "earliest")) == DEV_BALANCE
    assert await aw(w3.eth.get_balance(FRESH, "latest")) == 0
    before = await aw(w3.eth.get_balance(DEV[0], start_block))
    _, receipt = await send(w3, {"from": DEV[0], "to": FRESH, "value": 5})
    # History stays readable at the old block; latest moved.
    assert await aw(w3.eth.get_balance(DEV[0], start_block)) == before
    assert await aw(w3.eth.get_balance(FRESH, start_block)) == 0
    assert await aw(w3.eth.get_balance(FRESH, receipt["blockNumber"])) == 5
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert await aw(w3.eth.get_balance(DEV[0], "latest")) == before - 5 - fee
    assert await raw_result(w3, "eth_getBalance", [FRESH, "latest"]) == "0x5"


async def test_value_transfer_type2_and_receipt(w3: Any, start_block: int) -> None:
    sender, receiver = DEV[0], DEV[1]
    value = 1_234_567_890_123_456_789
    sender_before = await aw(w3.eth.get_balance(sender, start_block))
    receiver_before = await aw(w3.eth.get_balance(receiver, start_block))

    tx_hash, receipt = await send(w3, {"from": sender, "to": receiver, "value": value})
    tx = await aw(w3.eth.get_transaction(tx_hash))
    block = await aw(w3.eth.get_block(start_block + 1))

    assert tx["type"] == 2
    assert receipt["transactionHash"] == tx_hash
    assert receipt["status"] == 1
    assert receipt["type"] == 2
    assert receipt["gasUsed"] == 21000
    assert receipt["cumulativeGasUsed"] == 21000
    assert receipt["logs"] == []
    assert receipt["from"] == sender
    assert receipt["to"] == receiver
    assert receipt["contractAddress"] is None
    assert receipt["transactionIndex"] == 0
    assert receipt["blockNumber"] == start_block + 1
    assert receipt["blockHash"] == block["hash"]
    assert bytes(receipt["logsBloom"]) == bytes(256)
    assert block["transactions"] == [tx_hash]
    assert block["gasUsed"] == 21000
    # 1559 pricing: the effective price is the block's base fee plus the tip (the fee
    # cap web3 picked, tip + 2*baseFee, is not binding).
    tip = tx["maxPriorityFeePerGas"]
    assert tx["maxFeePerGas"] >= block["baseFeePerGas"] + tip
    assert receipt["effectiveGasPrice"] == block["baseFeePerGas"] + tip
    assert tx["gasPrice"] == receipt["effectiveGasPrice"]  # mined type-2: effective price

    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert await aw(w3.eth.get_balance(sender, "latest")) == sender_before - value - fee
    assert await aw(w3.eth.get_balance(receiver, "latest")) == receiver_before + value

    receipt_json = await raw_result(w3, "eth_getTransactionReceipt", [tx_hash.to_0x_hex()])
    assert set(receipt_json) == RECEIPT_KEYS
    assert receipt_json["status"] == "0x1"
    assert receipt_json["type"] == "0x2"
    assert receipt_json["gasUsed"] == "0x5208"
    assert receipt_json["from"] == sender.lower()
    assert receipt_json["to"] == receiver.lower()
    assert receipt_json["logsBloom"] == EMPTY_BLOOM


async def test_get_block_with_full_transactions(w3: Any, start_block: int) -> None:
    parent = await aw(w3.eth.get_block(start_block))
    tx_hash, _ = await send(w3, {"from": DEV[2], "to": DEV[3], "value": 10**15})
    block = await aw(w3.eth.get_block(start_block + 1, full_transactions=True))
    assert block["number"] == start_block + 1
    assert block["parentHash"] == parent["hash"]
    assert block["timestamp"] > parent["timestamp"]
    assert len(block["transactions"]) == 1
    tx = block["transactions"][0]
    assert tx["hash"] == tx_hash
    assert tx["from"] == DEV[2]
    assert tx["to"] == DEV[3]
    assert tx["value"] == 10**15
    assert tx["blockHash"] == block["hash"]
    assert tx["blockNumber"] == start_block + 1
    assert tx["transactionIndex"] == 0

    by_hash = await aw(w3.eth.get_block(block["hash"], full_transactions=True))
    assert by_hash["number"] == block["number"]
    assert by_hash["transactions"][0]["hash"] == tx_hash

    raw_block = await raw_result(w3, "eth_getBlockByNumber", [hex(start_block + 1), True])
    assert set(raw_block) == BLOCK_KEYS
    assert raw_block["number"] == hex(start_block + 1)
    assert raw_block["difficulty"] == "0x0"
    assert raw_block["nonce"] == "0x0000000000000000"
    assert raw_block["uncles"] == []
    assert raw_block["withdrawals"] == []
    assert raw_block["sha3Uncles"] == (
        "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    )
    assert raw_block["requestsHash"] == (
        "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert raw_block["gasUsed"] == "0x5208"
    assert set(raw_block["transactions"][0]) == TX_KEYS[2]
    assert raw_block["transactions"][0]["hash"] == tx_hash.to_0x_hex()
    # A block beyond the head is null, not an error.
    assert await raw_result(w3, "eth_getBlockByNumber", [hex(start_block + 100), False]) is None


async def test_transaction_by_hash_shape_type2(w3: Any, start_block: int) -> None:
    tx_hash, receipt = await send(w3, {"from": DEV[0], "to": DEV[1], "value": 7, "data": "0x1234"})
    block = await aw(w3.eth.get_block(start_block + 1))
    tx = await raw_result(w3, "eth_getTransactionByHash", [tx_hash.to_0x_hex()])
    assert set(tx) == TX_KEYS[2], sorted(set(tx) ^ TX_KEYS[2])
    assert tx["hash"] == tx_hash.to_0x_hex()
    assert tx["type"] == "0x2"
    assert tx["blockHash"] == block["hash"].to_0x_hex()
    assert tx["blockNumber"] == hex(start_block + 1)
    assert tx["transactionIndex"] == "0x0"
    assert tx["from"] == DEV[0].lower()
    assert tx["to"] == DEV[1].lower()
    assert tx["value"] == "0x7"
    assert tx["input"] == "0x1234"
    assert tx["chainId"] == "0x7a69"
    assert tx["accessList"] == []
    assert tx["yParity"] in ("0x0", "0x1")
    assert tx["v"] == tx["yParity"]
    assert tx["gasPrice"] == hex(receipt["effectiveGasPrice"])
    for key in ("gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce", "r", "s"):
        value = tx[key]
        assert value == hex(int(value, 16)), f"{key} is not a minimal quantity: {value}"
    # web3's formatted view agrees.
    formatted = await aw(w3.eth.get_transaction(tx_hash))
    assert formatted["input"] == bytes.fromhex("1234")
    assert formatted["blockNumber"] == start_block + 1


async def test_unknown_transaction_hash(w3: Any) -> None:
    unknown = "0x" + "ab" * 32
    response = await raw(w3, "eth_getTransactionReceipt", [unknown])
    # geth: an explicit "result": null, not an error and not a missing member.
    assert "error" not in response
    assert "result" in response
    assert response["result"] is None
    assert await raw_result(w3, "eth_getTransactionByHash", [unknown]) is None
    with pytest.raises(TransactionNotFound):
        await aw(w3.eth.get_transaction_receipt(unknown))
    with pytest.raises(TransactionNotFound):
        await aw(w3.eth.get_transaction(unknown))


# -- contracts ---------------------------------------------------------------------


async def test_deploy_greeter(w3: Any, greeter_artifact: dict[str, Any], start_block: int) -> None:
    nonce = await aw(w3.eth.get_transaction_count(DEV[0]))
    contract, receipt = await deploy_greeter(w3, greeter_artifact, "Hello, mocknode")
    expected = create_address(DEV[0], nonce)
    assert receipt["contractAddress"] == expected
    assert contract.address == expected
    assert receipt["to"] is None
    assert receipt["blockNumber"] == start_block + 1
    assert receipt["logs"] == []
    code = await aw(w3.eth.get_code(expected))
    assert bytes(code) == bytes.fromhex(greeter_artifact["deployedBytecode"].removeprefix("0x"))
    # No code before the deployment block.
    assert bytes(await aw(w3.eth.get_code(expected, start_block))) == b""

    tx = await raw_result(w3, "eth_getTransactionByHash", [receipt["transactionHash"].to_0x_hex()])
    assert tx["to"] is None
    raw_receipt = await raw_result(
        w3, "eth_getTransactionReceipt", [receipt["transactionHash"].to_0x_hex()]
    )
    assert raw_receipt["contractAddress"] == expected.lower()
    assert raw_receipt["to"] is None

    assert await aw(contract.functions.greet().call()) == "Hello, mocknode"
    assert await aw(contract.functions.greeting().call()) == "Hello, mocknode"
    assert await aw(contract.functions.counter().call()) == 0
    assert await aw(contract.functions.getCounter().call()) == 0

    tx_hash = await aw(contract.functions.increment().transact({"from": DEV[0]}))
    inc_receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert inc_receipt["status"] == 1
    assert inc_receipt["blockNumber"] == start_block + 2
    assert await aw(contract.functions.getCounter().call()) == 1
    # Calls at an older block see the older state.
    assert await aw(contract.functions.getCounter().call(block_identifier=start_block + 1)) == 0


async def test_greeting_changed_event(
    w3: Any, greeter_artifact: dict[str, Any], start_block: int
) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact, "Hello")
    tx_hash = await aw(contract.functions.setGreeting("Hola, mundo").transact({"from": DEV[1]}))
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert receipt["status"] == 1
    assert receipt["blockNumber"] == start_block + 2
    assert receipt["to"] == contract.address
    assert len(receipt["logs"]) == 1
    assert await aw(contract.functions.greet().call()) == "Hola, mundo"

    events = contract.events.GreetingChanged().process_receipt(receipt)
    assert len(events) == 1
    event = events[0]
    assert event["event"] == "GreetingChanged"
    assert event["args"]["by"] == DEV[1]
    assert event["args"]["greeting"] == "Hola, mundo"
    assert event["address"] == contract.address
    assert event["transactionHash"] == tx_hash
    assert event["blockHash"] == receipt["blockHash"]
    assert event["blockNumber"] == start_block + 2
    assert event["logIndex"] == 0
    assert event["transactionIndex"] == 0

    topic0 = keccak(text="GreetingChanged(address,string)")
    by_topic = bytes(12) + bytes.fromhex(DEV[1][2:])
    logs = await aw(
        w3.eth.get_logs(
            {"fromBlock": start_block, "toBlock": "latest", "address": contract.address}
        )
    )
    assert len(logs) == 1
    log = logs[0]
    assert [bytes(t) for t in log["topics"]] == [topic0, by_topic]
    assert decode(["string"], bytes(log["data"])) == ("Hola, mundo",)
    assert log["blockNumber"] == start_block + 2
    assert log["transactionHash"] == tx_hash
    assert log["removed"] is False

    # Filter by topic, and check geth's log object shape (struct order) on the wire.
    raw_logs = await raw_result(
        w3,
        "eth_getLogs",
        [{"fromBlock": hex(start_block), "toBlock": "latest", "topics": ["0x" + topic0.hex()]}],
    )
    assert len(raw_logs) == 1
    assert list(raw_logs[0]) == LOG_KEYS
    assert raw_logs[0]["address"] == contract.address.lower()
    block = await aw(w3.eth.get_block(start_block + 2))
    assert raw_logs[0]["blockTimestamp"] == hex(block["timestamp"])

    decoded = await aw(contract.events.GreetingChanged().get_logs(from_block=start_block))
    assert [e["args"]["greeting"] for e in decoded] == ["Hola, mundo"]

    # Nothing matches a topic nobody emitted.
    none = await aw(
        w3.eth.get_logs(
            {"fromBlock": start_block, "toBlock": "latest", "topics": ["0x" + "11" * 32]}
        )
    )
    assert none == []


# -- reverts -----------------------------------------------------------------------


async def test_revert_with_reason_string(w3: Any, greeter_artifact: dict[str, Any]) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact)
    data = encode_revert_string("Greeter: always fails")
    with pytest.raises(ContractLogicError) as info:
        await aw(contract.functions.fail().call())
    assert type(info.value) is ContractLogicError
    assert info.value.message == "execution reverted: Greeter: always fails"
    assert info.value.data == data

    error = await raw_error(w3, "eth_call", [{"to": contract.address, "data": calldata("fail()")}])
    assert error == {
        "code": 3,
        "message": "execution reverted: Greeter: always fails",
        "data": data,
    }


async def test_revert_with_custom_error(w3: Any, greeter_artifact: dict[str, Any]) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact)
    assert selector("Custom(uint256,string)").hex() == CUSTOM_SELECTOR[2:]
    with pytest.raises(ContractCustomError) as info:
        await aw(contract.functions.failCustom(424242).call())
    data = info.value.data
    assert isinstance(data, str)
    assert data[:10] == CUSTOM_SELECTOR
    assert decode(["uint256", "string"], bytes.fromhex(data[10:])) == (424242, "custom failure")

    error = await raw_error(
        w3,
        "eth_call",
        [{"to": contract.address, "data": calldata("failCustom(uint256)", ["uint256"], [424242])}],
    )
    # geth cannot decode a custom error: bare message, code 3, the bytes in data.
    assert error == {"code": 3, "message": "execution reverted", "data": data}


async def test_revert_with_panic(w3: Any, greeter_artifact: dict[str, Any]) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact)
    data = PANIC_SELECTOR + encode(["uint256"], [0x12]).hex()
    with pytest.raises(ContractPanicError) as info:
        await aw(contract.functions.failPanic().call())
    assert info.value.message == "Panic error 0x12: Division by zero."
    assert info.value.data == data

    error = await raw_error(
        w3, "eth_call", [{"to": contract.address, "data": calldata("failPanic()")}, "latest"]
    )
    assert error == {
        "code": 3,
        "message": "execution reverted: division or modulo by zero",
        "data": data,
    }


async def test_revert_without_data(w3: Any, greeter_artifact: dict[str, Any]) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact)
    with pytest.raises(ContractLogicError) as info:
        await aw(contract.functions.failEmpty().call())
    assert type(info.value) is ContractLogicError
    assert info.value.message == "execution reverted"

    error = await raw_error(
        w3, "eth_call", [{"to": contract.address, "data": calldata("failEmpty()")}]
    )
    # Empty revert: geth returns -32000 with no data member.
    assert error == {"code": -32000, "message": "execution reverted"}


async def test_estimate_gas_of_reverting_transactions(
    w3: Any, greeter_artifact: dict[str, Any], start_block: int
) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact)
    with pytest.raises(ContractLogicError) as info:
        await aw(contract.functions.fail().estimate_gas({"from": DEV[0]}))
    assert type(info.value) is ContractLogicError
    assert info.value.message == "execution reverted: Greeter: always fails"
    assert info.value.data == encode_revert_string("Greeter: always fails")

    with pytest.raises(ContractCustomError) as custom:
        await aw(contract.functions.failCustom(5).estimate_gas({"from": DEV[0]}))
    assert decode(["uint256", "string"], bytes.fromhex(custom.value.data[10:])) == (
        5,
        "custom failure",
    )

    error = await raw_error(
        w3,
        "eth_estimateGas",
        [{"from": DEV[0], "to": contract.address, "data": calldata("fail()")}],
    )
    assert error == {
        "code": 3,
        "message": "execution reverted: Greeter: always fails",
        "data": encode_revert_string("Greeter: always fails"),
    }
    # transact() estimates first, so a reverting send never reaches the chain.
    with pytest.raises(ContractLogicError):
        await aw(contract.functions.fail().transact({"from": DEV[0]}))
    assert await aw(w3.eth.block_number) == start_block + 1
    # A plain transfer estimates to exactly 21000.
    assert await aw(w3.eth.estimate_gas({"from": DEV[0], "to": DEV[1], "value": 1})) == 21000


# -- batches -----------------------------------------------------------------------


async def test_batch_requests_in_order(
    w3: Any, greeter_artifact: dict[str, Any], start_block: int
) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact, "batched")
    head = start_block + 1

    def build(batch: Any) -> None:
        batch.add(w3.eth.get_block(0))
        batch.add(w3.eth.get_balance(DEV[5], 0))
        batch.add(w3.eth.get_block_number())
        batch.add(contract.functions.greet())
        batch.add(w3.eth.get_code(contract.address))
        batch.add(w3.eth.get_transaction_count(DEV[0], 0))

    results = await run_batch(w3, build)
    assert len(results) == 6
    genesis, balance, number, greeting, code, nonce = results
    assert genesis["number"] == 0
    assert balance == DEV_BALANCE
    assert number == head
    assert greeting == "batched"
    assert bytes(code) == bytes.fromhex(greeter_artifact["deployedBytecode"][2:])
    assert nonce == 0


# -- raw signed transactions ---------------------------------------------------------


def _raw_tx_fields(tx_type: int, nonce: int) -> dict[str, Any]:
    base: dict[str, Any] = {
        "nonce": nonce,
        "to": FRESH,
        "value": 12345 + tx_type,
        "data": b"",
        "chainId": CHAIN_ID,
    }
    if tx_type == 0:
        return {**base, "gas": 21000, "gasPrice": 2 * GWEI}
    if tx_type == 1:
        return {
            **base,
            "type": 1,
            "gas": 30000,
            "gasPrice": 2 * GWEI,
            "accessList": [{"address": DEV[9], "storageKeys": ["0x" + "00" * 31 + "01"]}],
        }
    return {
        **base,
        "type": 2,
        "gas": 21000,
        "maxFeePerGas": 5 * GWEI,
        "maxPriorityFeePerGas": 3 * GWEI,
        "accessList": [],
    }


@pytest.mark.parametrize("tx_type", [0, 1, 2])
async def test_send_raw_transaction(w3: Any, start_block: int, tx_type: int) -> None:
    key = DEV_KEYS[4]
    nonce = await aw(w3.eth.get_transaction_count(key.address))
    fields = _raw_tx_fields(tx_type, nonce)
    signed = Account.sign_transaction(fields, key.key)
    tx_hash = await aw(w3.eth.send_raw_transaction(signed.raw_transaction))
    assert tx_hash == signed.hash
    assert tx_hash == keccak(signed.raw_transaction)

    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    block = await aw(w3.eth.get_block(start_block + 1))
    assert receipt["status"] == 1
    assert receipt["type"] == tx_type
    assert receipt["from"] == key.address
    assert receipt["blockNumber"] == start_block + 1
    if tx_type == 1:
        # 21000 + one access-list address (2400) + one storage key (1900).
        assert receipt["gasUsed"] == 25300
    else:
        assert receipt["gasUsed"] == 21000
    if tx_type == 2:
        assert receipt["effectiveGasPrice"] == block["baseFeePerGas"] + 3 * GWEI
    else:
        assert receipt["effectiveGasPrice"] == 2 * GWEI
    assert await aw(w3.eth.get_balance(FRESH)) == fields["value"]
    assert await aw(w3.eth.get_transaction_count(key.address)) == nonce + 1

    tx = await raw_result(w3, "eth_getTransactionByHash", [tx_hash.to_0x_hex()])
    assert set(tx) == TX_KEYS[tx_type], sorted(set(tx) ^ TX_KEYS[tx_type])
    assert tx["type"] == hex(tx_type)
    assert tx["chainId"] == "0x7a69"
    assert tx["from"] == key.address.lower()
    assert tx["nonce"] == hex(nonce)
    assert int(tx["r"], 16) == signed.r
    assert int(tx["s"], 16) == signed.s
    if tx_type == 0:
        # EIP-155: v = chainId*2 + 35 + parity.
        assert tx["v"] == hex(signed.v)
        assert signed.v in (CHAIN_ID * 2 + 35, CHAIN_ID * 2 + 36)
        assert tx["gasPrice"] == hex(2 * GWEI)
    else:
        assert tx["yParity"] == tx["v"] == hex(signed.v)
    if tx_type == 1:
        assert tx["accessList"] == [
            {"address": DEV[9].lower(), "storageKeys": ["0x" + "00" * 31 + "01"]}
        ]
    if tx_type == 2:
        assert tx["maxFeePerGas"] == hex(5 * GWEI)
        assert tx["maxPriorityFeePerGas"] == hex(3 * GWEI)
        assert tx["gasPrice"] == hex(block["baseFeePerGas"] + 3 * GWEI)
    raw_tx = await raw_result(w3, "eth_getRawTransactionByHash", [tx_hash.to_0x_hex()])
    assert raw_tx == signed.raw_transaction.to_0x_hex()


async def test_send_raw_set_code_transaction(
    w3: Any, greeter_artifact: dict[str, Any], start_block: int
) -> None:
    contract, _ = await deploy_greeter(w3, greeter_artifact, "delegate's own greeting")
    authority = Account.from_key(keccak(text="mocknode 7702 authority"))
    sponsor = DEV_KEYS[0]
    assert await aw(w3.eth.get_transaction_count(authority.address)) == 0
    assert bytes(await aw(w3.eth.get_code(authority.address))) == b""

    auth = authority.sign_authorization(
        {"chainId": CHAIN_ID, "address": contract.address, "nonce": 0}
    )
    tx = {
        "type": 4,
        "chainId": CHAIN_ID,
        "nonce": await aw(w3.eth.get_transaction_count(sponsor.address)),
        "to": authority.address,
        "value": 0,
        "gas": 200_000,
        "maxFeePerGas": 10 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        # Runs the delegate's code in the authority's context.
        "data": calldata("setGreeting(string)", ["string"], ["set through 7702"]),
        "accessList": [],
        "authorizationList": [auth],
    }
    signed = sponsor.sign_transaction(tx)
    tx_hash = await aw(w3.eth.send_raw_transaction(signed.raw_transaction))
    assert tx_hash == signed.hash
    receipt = await aw(w3.eth.get_transaction_receipt(tx_hash))
    assert receipt["status"] == 1
    assert receipt["type"] == 4
    assert receipt["blockNumber"] == start_block + 2

    code = bytes(await aw(w3.eth.get_code(authority.address)))
    assert code == bytes.fromhex("ef0100") + bytes.fromhex(contract.address[2:])
    assert await raw_result(w3, "eth_getCode", [authority.address, "latest"]) == (
        "0xef0100" + contract.address[2:].lower()
    )
    # The authorization bumped the authority's nonce.
    assert await aw(w3.eth.get_transaction_count(authority.address)) == 1
    # Storage is the authority's: the delegate's own greeting is untouched.
    delegated = w3.eth.contract(address=authority.address, abi=greeter_artifact["abi"])
    assert await aw(delegated.functions.greet().call()) == "set through 7702"
    assert await aw(contract.functions.greet().call()) == "delegate's own greeting"
    events = delegated.events.GreetingChanged().process_receipt(receipt)
    assert [(e["address"], e["args"]["by"]) for e in events] == [
        (authority.address, sponsor.address)
    ]

    tx_json = await raw_result(w3, "eth_getTransactionByHash", [tx_hash.to_0x_hex()])
    assert set(tx_json) == TX_KEYS[4], sorted(set(tx_json) ^ TX_KEYS[4])
    assert tx_json["type"] == "0x4"
    assert tx_json["authorizationList"] == [
        {
            "chainId": hex(CHAIN_ID),
            "address": contract.address.lower(),
            "nonce": "0x0",
            "yParity": hex(auth.y_parity),
            "r": hex(auth.r),
            "s": hex(auth.s),
        }
    ]
    assert list(tx_json["authorizationList"][0]) == [
        "chainId",
        "address",
        "nonce",
        "yParity",
        "r",
        "s",
    ]
    # Before the tx's block the authority had no code.
    assert bytes(await aw(w3.eth.get_code(authority.address, start_block + 1))) == b""
