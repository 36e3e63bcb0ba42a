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


def test_proofs_and_reverts_past_the_kept_tries(node: MockNode) -> None:
    """The state keeps the tries of its last 1,024 commits (chain.state.world.KEEP_TRIES);
    a proof at an older block and a revert further back rebuild them from the versions,
    and must still check against the headers' state roots."""
    snap = node.snapshot()
    try:
        w3 = Web3(HTTPProvider(node.http_url))
        alice, bob = w3.eth.accounts[:2]
        contract = w3.eth.contract(abi=GREETER["abi"], bytecode=GREETER["bytecode"])
        receipt = w3.eth.wait_for_transaction_receipt(
            contract.constructor("hello").transact({"from": alice})
        )
        greeter = receipt.contractAddress
        old = receipt.blockNumber
        inner = w3.provider.make_request("evm_snapshot", [])["result"]
        w3.provider.make_request("anvil_mine", [1100])
        assert w3.eth.block_number == old + 1100
        for address, slots in ((greeter, [0, 1]), (alice, []), (bob, [])):
            verify(w3, address, slots, old)
        assert w3.provider.make_request("evm_revert", [inner])["result"] is True
        assert w3.eth.block_number == old
        verify(w3, greeter, [0, 1], old)  # the head's tries, rebuilt by the revert
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": bob, "to": alice, "value": 5})
        )
        verify(w3, bob, [], old + 1)
        verify(w3, greeter, [0, 1], old + 1)
    finally:
        node.revert(snap)
