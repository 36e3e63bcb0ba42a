"""eth_getProof through web3.py, verified against block state roots with py-trie."""

from __future__ import annotations

import json
from pathlib import Path

import rlp
from eth_utils import keccak
from trie import HexaryTrie
from web3 import HTTPProvider, Web3

from mocknode import MockNode

GREETER = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/artifacts/Greeter.json").read_text()
)


def _int(value: object) -> int:
    return value if isinstance(value, int) else int.from_bytes(bytes(value), "big")  # type: ignore[arg-type]


def verify(w3: Web3, address: str, slots: list[int], block: int) -> None:
    proof = w3.eth.get_proof(address, slots, block)
    state_root = bytes(w3.eth.get_block(block)["stateRoot"])
    nodes = [rlp.decode(bytes(n)) for n in proof["accountProof"]]
    encoded = HexaryTrie.get_from_proof(state_root, keccak(bytes.fromhex(address[2:])), nodes)
    if encoded:
        nonce, balance, storage_hash, code_hash = rlp.decode(encoded)
        assert int.from_bytes(nonce, "big") == proof["nonce"]
        assert int.from_bytes(balance, "big") == proof["balance"]
        assert storage_hash == bytes(proof["storageHash"])
        assert code_hash == bytes(proof["codeHash"])
    else:  # an exclusion proof: the account does not exist at this block
        assert (proof["balance"], proof["nonce"]) == (0, 0)
    for item in proof["storageProof"]:
        key = keccak(int(item["key"].hex(), 16).to_bytes(32, "big"))
        storage_nodes = [rlp.decode(bytes(n)) for n in item["proof"]]
        stored = HexaryTrie.get_from_proof(bytes(proof["storageHash"]), key, storage_nodes)
        value = int.from_bytes(rlp.decode(stored), "big") if stored else 0
        assert value == _int(item["value"])


def test_account_and_storage_proofs_check_against_state_roots(node: MockNode) -> None:
    snap = node.snapshot()
    try:
        w3 = Web3(HTTPProvider(node.http_url))
        alice, bob = w3.eth.accounts[:2]
        contract = w3.eth.contract(abi=GREETER["abi"], bytecode=GREETER["bytecode"])
        receipt = w3.eth.wait_for_transaction_receipt(
            contract.constructor("hello").transact({"from": alice})
        )
        greeter = w3.eth.contract(address=receipt.contractAddress, abi=GREETER["abi"])
        deployed_at = receipt.blockNumber
        greeter.functions.increment().transact({"from": bob})
        greeter.functions.setGreeting("a longer greeting " * 3).transact({"from": bob})
        head = w3.eth.block_number
        for block in (deployed_at, head):
            verify(w3, receipt.contractAddress, [0, 1, 2, 7], block)
            verify(w3, alice, [], block)
        verify(w3, "0x" + "42" * 20, [0], head)  # no such account
        before = w3.eth.get_proof(receipt.contractAddress, [1], deployed_at)
        after = w3.eth.get_proof(receipt.contractAddress, [1], head)
        assert before["storageHash"] != after["storageHash"]
    finally:
        node.revert(snap)
