"""Blob transactions (type 3) through web3.py over real sockets.

Sent in their network form (the sidecar after the transaction) as eth-account builds
them (version 1, cell proofs) and as the project's codec builds them (version 0, one
proof per blob); mined with the blob gas priced at the blob base fee and burnt; seen by
BLOBHASH and BLOBBASEFEE; rendered with geth's fields and key order; refused with
geth's texts. The KZG proofs are real.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import rlp as pyrlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import IPCProvider, Web3
from web3.exceptions import Web3RPCError

from mocknode.chain.evm import kzg
from mocknode.chain.tx import codec
from mocknode.chain.tx.blobs import BlobSidecar, versioned_hash
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC, derive_accounts
from mocknode.types import Address, Hash32

CHAIN_ID = 31337
GWEI = 10**9
GAS_PER_BLOB = 131072
DEV = derive_accounts(DEFAULT_MNEMONIC, 10)
TARGET = to_checksum_address("0x" + "b1" * 20)
# BLOBHASH(0) -> slot 0, BLOBHASH(1) -> slot 1, BLOBBASEFEE -> slot 2.
RECORDER = bytes.fromhex("5f495f55" + "6001496001 55".replace(" ", "") + "4a600255" + "00")


def blob(n: int) -> bytes:
    """A blob whose first field element is ``n`` (every element stays a field element)."""
    return bytes(31) + bytes((n,)) + bytes(GAS_PER_BLOB - 32)


@functools.cache
def commitment_and_proof(n: int) -> tuple[bytes, bytes]:
    return kzg.blob_commitment_and_proof(blob(n))


def sidecar(count: int) -> BlobSidecar:
    made = [commitment_and_proof(i) for i in range(count)]
    return BlobSidecar(
        0,
        tuple(blob(i) for i in range(count)),
        tuple(c for c, _ in made),
        tuple(p for _, p in made),
    )


def v0_blob_tx(
    sender: int, nonce: int, count: int, *, tip: int = GWEI, blob_fee: int = 10, **changes: Any
) -> tuple[Any, bytes]:
    """A signed blob transaction made with the project's codec, and its network form."""
    side = changes.pop("sidecar", None) or sidecar(count)
    fields: dict[str, Any] = {
        "private_key": DEV[sender].private_key,
        "sender": DEV[sender].address,
        "chain_id": CHAIN_ID,
        "tx_type": 3,
        "nonce": nonce,
        "gas": 21000,
        "to": Address(bytes.fromhex(TARGET[2:])),
        "value": 0,
        "data": b"",
        "max_fee_per_gas": 10 * GWEI,
        "max_priority_fee_per_gas": tip,
        "max_fee_per_blob_gas": blob_fee,
        "blob_versioned_hashes": tuple(versioned_hash(c) for c in side.commitments),
    }
    fields.update(changes)
    tx = codec.sign(**fields)
    return tx, codec.encode_network(tx, side)


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def rpc_error(w3: Web3, method: str, *params: Any) -> dict[str, Any]:
    with pytest.raises(Web3RPCError) as failure:
        w3.manager.request_blocking(method, list(params))
    response = failure.value.rpc_response
    assert response is not None
    return dict(response["error"])


def send_raw(w3: Web3, raw: bytes) -> str:
    return str(rpc(w3, "eth_sendRawTransaction", "0x" + raw.hex()))


def balance(w3: Web3, address: str, block: str) -> int:
    return int(rpc(w3, "eth_getBalance", address, block), 16)


# geth's RPCTransaction for a mined type-3 transaction, in its struct order.
TX_KEYS = [
    "blockHash",
    "blockNumber",
    "from",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "maxFeePerBlobGas",
    "hash",
    "input",
    "nonce",
    "to",
    "transactionIndex",
    "value",
    "type",
    "accessList",
    "chainId",
    "blobVersionedHashes",
    "v",
    "r",
    "s",
    "yParity",
]


def test_eth_accounts_blob_tx_is_mined_priced_and_seen_by_the_evm(w3: Web3) -> None:
    rpc(w3, "anvil_setCode", TARGET, "0x" + RECORDER.hex())
    sender = to_checksum_address(DEV[1].address)
    fields = {
        "type": 3,
        "chainId": CHAIN_ID,
        "nonce": 0,
        "to": TARGET,
        "value": 5,
        "gas": 100_000,
        "maxFeePerGas": 10 * GWEI,
        "maxPriorityFeePerGas": 2 * GWEI,
        "maxFeePerBlobGas": 3,
    }
    signed = Account.sign_transaction(fields, DEV[1].private_key, blobs=[blob(1), blob(2)])
    network = bytes(signed.raw_transaction)
    canonical = b"\x03" + pyrlp.encode(pyrlp.decode(network[1:])[0])
    head = rpc(w3, "eth_blockNumber")
    tx_hash = send_raw(w3, network)
    assert tx_hash == "0x" + keccak(canonical).hex()  # geth's hash: no sidecar in it

    receipt = rpc(w3, "eth_getTransactionReceipt", tx_hash)
    assert list(receipt) == sorted(receipt)  # geth marshals receipts as a map
    assert receipt["status"] == "0x1"
    assert receipt["type"] == "0x3"
    assert receipt["blobGasUsed"] == hex(2 * GAS_PER_BLOB)
    assert receipt["blobGasPrice"] == "0x1"
    block = rpc(w3, "eth_getBlockByNumber", receipt["blockNumber"], False)
    assert block["blobGasUsed"] == hex(2 * GAS_PER_BLOB)
    assert block["excessBlobGas"] == "0x0"
    assert rpc(w3, "eth_getBlockByNumber", "latest", False)["hash"] == block["hash"]

    tx = rpc(w3, "eth_getTransactionByHash", tx_hash)
    assert list(tx) == TX_KEYS
    hashes = ["0x" + versioned_hash(commitment_and_proof(n)[0]).hex() for n in (1, 2)]
    assert tx["blobVersionedHashes"] == hashes
    assert tx["maxFeePerBlobGas"] == "0x3"
    assert tx["type"] == "0x3"
    assert tx["to"] == TARGET.lower()

    # BLOBHASH and BLOBBASEFEE saw the transaction's hashes and the block's blob fee.
    assert rpc(w3, "eth_getStorageAt", TARGET, "0x0", "latest") == hashes[0]
    assert rpc(w3, "eth_getStorageAt", TARGET, "0x1", "latest") == hashes[1]
    assert int(rpc(w3, "eth_getStorageAt", TARGET, "0x2", "latest"), 16) == 1

    # The sender paid gas, value and blob gas; the blob fee went to no one.
    gas_used = int(receipt["gasUsed"], 16)
    price = int(receipt["effectiveGasPrice"], 16)
    base_fee = int(block["baseFeePerGas"], 16)
    spent = balance(w3, sender, head) - balance(w3, sender, "latest")
    assert spent == gas_used * price + 5 + 2 * GAS_PER_BLOB * 1
    miner = block["miner"]
    earned = balance(w3, miner, "latest") - balance(w3, miner, head)
    assert earned == gas_used * (price - base_fee)


def test_blob_gas_fills_blocks_and_moves_the_excess(w3: Web3) -> None:
    rpc(w3, "evm_setAutomine", False)
    # Highest tip first: 6 blobs, then 3 (9: Prague's maximum), then 6 more wait.
    _, first = v0_blob_tx(0, 0, 6, tip=3 * GWEI)
    _, second = v0_blob_tx(1, 0, 3, tip=2 * GWEI)
    _, third = v0_blob_tx(2, 0, 6, tip=GWEI)
    hashes = [send_raw(w3, raw) for raw in (first, second, third)]
    pending = rpc(w3, "eth_getBlockByNumber", "pending", False)
    assert pending["blobGasUsed"] == hex(9 * GAS_PER_BLOB)
    assert pending["transactions"] == hashes[:2]

    rpc(w3, "evm_mine")
    full = rpc(w3, "eth_getBlockByNumber", "latest", False)
    assert full["transactions"] == hashes[:2]
    assert (full["blobGasUsed"], full["excessBlobGas"]) == (hex(1179648), "0x0")
    rpc(w3, "evm_mine")
    after = rpc(w3, "eth_getBlockByNumber", "latest", False)
    assert after["transactions"] == hashes[2:]
    # Excess: what the parent used above the target (9 - 6 blobs).
    assert (after["blobGasUsed"], after["excessBlobGas"]) == (hex(786432), hex(393216))
    rpc(w3, "evm_mine")
    empty = rpc(w3, "eth_getBlockByNumber", "latest", False)
    assert (empty["blobGasUsed"], empty["excessBlobGas"]) == ("0x0", hex(393216))
    # The blob base fee of e ** (393216 / 5007716) rounds down to 1.
    assert rpc(w3, "eth_blobBaseFee") == "0x1"

    history = rpc(w3, "eth_feeHistory", "0x3", "latest", [])
    assert history["baseFeePerBlobGas"] == ["0x1"] * 4
    assert history["blobGasUsedRatio"] == [1, 6 / 9, 0]
    receipts = [rpc(w3, "eth_getTransactionReceipt", h) for h in hashes]
    assert [r["blobGasUsed"] for r in receipts] == [hex(n * GAS_PER_BLOB) for n in (6, 3, 6)]
    assert [r["blobGasPrice"] for r in receipts] == ["0x1"] * 3


def test_refusals_carry_geths_texts(w3: Web3) -> None:
    tx, network = v0_blob_tx(0, 0, 1)

    def refused(raw: bytes) -> dict[str, Any]:
        return rpc_error(w3, "eth_sendRawTransaction", "0x" + raw.hex())

    assert refused(tx.raw) == {"code": -32000, "message": "missing sidecar in blob transaction"}
    bad_proof = BlobSidecar(0, (blob(0),), sidecar(1).commitments, (commitment_and_proof(5)[1],))
    _, raw = v0_blob_tx(0, 0, 1, sidecar=bad_proof)
    assert refused(raw) == {
        "code": -32000,
        "message": "KZG verification error: invalid blob proof: can't verify opening proof",
    }
    wrong = Hash32(b"\x00" + versioned_hash(commitment_and_proof(0)[0])[1:])
    _, raw = v0_blob_tx(0, 0, 1, blob_versioned_hashes=(wrong,))
    assert refused(raw)["message"] == (
        f"blob 0: computed hash 0x{versioned_hash(commitment_and_proof(0)[0]).hex()} "
        f"mismatches transaction one 0x{wrong.hex()}"
    )
    _, raw = v0_blob_tx(0, 0, 7)
    assert refused(raw)["message"] == "transaction blob limit exceeded: blob count 7, limit 6"
    _, raw = v0_blob_tx(0, 0, 0)
    assert refused(raw)["message"] == "blobless blob transaction"
    _, raw = v0_blob_tx(0, 0, 1, blob_fee=0)
    assert refused(raw)["message"] == (
        "transaction gas price below minimum: blob fee cap 0, minimum needed 1"
    )
    # A blob transaction cannot create: its "to" is not optional.
    payload = pyrlp.decode(network[1:])
    payload[0][5] = b""
    assert refused(b"\x03" + pyrlp.encode(payload)) == {
        "code": -32000,
        "message": (
            "rlp: input string too short for common.Address, decoding into (types.BlobTx).To"
        ),
    }
    assert rpc(w3, "eth_blockNumber") == "0x0"  # nothing was mined
    assert (
        rpc(w3, "eth_getTransactionCount", to_checksum_address(DEV[0].address), "pending") == "0x0"
    )


def test_a_pooled_blob_tx_and_its_replacement(w3: Web3) -> None:
    rpc(w3, "evm_setAutomine", False)
    _, raw = v0_blob_tx(3, 0, 1, tip=GWEI, blob_fee=10)
    tx_hash = send_raw(w3, raw)
    pending = rpc(w3, "eth_getTransactionByHash", tx_hash)
    assert pending["blockHash"] is None
    assert pending["gasPrice"] == hex(10 * GWEI)  # the fee cap, while pending (geth's)
    assert pending["maxFeePerBlobGas"] == "0xa"
    _, cheap = v0_blob_tx(3, 0, 1, tip=2 * GWEI, max_fee_per_gas=20 * GWEI, blob_fee=19)
    assert rpc_error(w3, "eth_sendRawTransaction", "0x" + cheap.hex())["message"] == (
        "replacement transaction underpriced: new tx blob gas fee cap 19 < 10 queued + 100% "
        "replacement penalty"
    )
    _, better = v0_blob_tx(3, 0, 1, tip=2 * GWEI, max_fee_per_gas=20 * GWEI, blob_fee=20)
    new_hash = send_raw(w3, better)
    rpc(w3, "evm_mine")
    assert rpc(w3, "eth_getTransactionReceipt", new_hash)["status"] == "0x1"
    assert rpc(w3, "eth_getTransactionByHash", tx_hash) is None


def test_send_transaction_refuses_blobs_as_geth_does(w3: Web3) -> None:
    sender = to_checksum_address(DEV[0].address)
    hashes = ["0x01" + "00" * 31]
    base = {"from": sender, "to": TARGET}
    assert rpc_error(w3, "eth_sendTransaction", {**base, "blobVersionedHashes": hashes}) == {
        "code": -32000,
        "message": "signing blob transactions not supported",
    }
    assert rpc_error(w3, "eth_sendTransaction", {**base, "maxFeePerBlobGas": "0x1"}) == {
        "code": -32000,
        "message": "signing blob transactions not supported",
    }
    assert rpc_error(w3, "eth_sendTransaction", {**base, "blobs": ["0x" + blob(0).hex()]}) == {
        "code": -32000,
        "message": '"blobs" is not supported for this RPC method',
    }
    unknown = {**base, "from": "0x" + "77" * 20, "blobVersionedHashes": hashes}
    assert rpc_error(w3, "eth_sendTransaction", unknown)["message"] == "unknown account"


def test_sign_transaction_builds_the_sidecar(w3: Web3) -> None:
    sender = to_checksum_address(DEV[4].address)
    args = {
        "from": sender,
        "to": TARGET,
        "gas": "0x5208",
        "maxFeePerGas": hex(10 * GWEI),
        "maxPriorityFeePerGas": hex(GWEI),
        "nonce": "0x0",
        "blobs": ["0x" + blob(7).hex()],
    }
    answer = rpc(w3, "eth_signTransaction", args)
    commitment, proof = commitment_and_proof(7)
    vhash = "0x" + versioned_hash(commitment).hex()
    signed = answer["tx"]
    assert list(signed) == [
        "type",
        "chainId",
        "nonce",
        "to",
        "gas",
        "gasPrice",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "maxFeePerBlobGas",
        "value",
        "input",
        "accessList",
        "blobVersionedHashes",
        "v",
        "r",
        "s",
        "yParity",
        "blobs",
        "commitments",
        "proofs",
        "hash",
    ]
    assert signed["maxFeePerBlobGas"] == "0x2"  # twice the head's blob base fee
    assert signed["blobVersionedHashes"] == [vhash]
    assert signed["commitments"] == ["0x" + commitment.hex()]
    assert signed["proofs"] == ["0x" + proof.hex()]
    raw = bytes.fromhex(answer["raw"][2:])
    tx, side = codec.decode_with_sidecar(raw)
    assert side == BlobSidecar(0, (blob(7),), (commitment,), (proof,))
    assert tx.sender == DEV[4].address
    assert signed["hash"] == "0x" + tx.hash.hex()
    assert send_raw(w3, raw) == signed["hash"]
    assert rpc(w3, "eth_getTransactionReceipt", signed["hash"])["blobGasUsed"] == "0x20000"

    def refused(**changes: Any) -> str:
        return str(rpc_error(w3, "eth_signTransaction", {**args, **changes})["message"])

    assert refused(commitments=["0x" + commitment.hex()]) == (
        "blob commitments provided while proofs were not"
    )
    assert (
        refused(
            commitments=["0x" + commitment.hex()], proofs=["0x" + commitment_and_proof(8)[1].hex()]
        )
        == "failed to verify blob proof: can't verify opening proof"
    )
    assert refused(blobVersionedHashes=[vhash, vhash]) == (
        "number of blobs and hashes mismatch (have=2, want=1)"
    )
    assert refused(maxFeePerBlobGas="0x0") == "maxFeePerBlobGas, if specified, must be non-zero"
    assert refused(to=None) == 'missing "to" in blob transaction'
    assert refused(blobs=[]) == "need at least 1 blob for a blob transaction"
    assert rpc_error(w3, "eth_signTransaction", {**args, "blobs": ["0x00"]}) == {
        "code": -32602,
        "message": "invalid argument 0: hex string has length 2, want 262144 for kzg4844.Blob",
    }


def test_blob_tx_over_ipc(mocknode: Any) -> None:
    ipc = Web3(IPCProvider(mocknode.ipc_path, timeout=30))
    _, raw = v0_blob_tx(5, 0, 2)
    tx_hash = ipc.eth.send_raw_transaction(raw)
    receipt = ipc.eth.get_transaction_receipt(tx_hash)
    assert receipt["blobGasUsed"] == 2 * GAS_PER_BLOB
    assert receipt["blobGasPrice"] == 1
    assert ipc.eth.get_block(receipt["blockNumber"])["blobGasUsed"] == 2 * GAS_PER_BLOB


@pytest.mark.asyncio
async def test_blob_tx_over_websocket(async_w3: Any) -> None:
    _, raw = v0_blob_tx(6, 0, 1)
    tx_hash = await async_w3.eth.send_raw_transaction(raw)
    receipt = await async_w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert receipt["blobGasUsed"] == GAS_PER_BLOB
    tx = await async_w3.eth.get_transaction(tx_hash)
    assert tx["maxFeePerBlobGas"] == 10
    assert [bytes(h) for h in tx["blobVersionedHashes"]] == [
        versioned_hash(commitment_and_proof(0)[0])
    ]
    assert await async_w3.eth.blob_base_fee == 1
