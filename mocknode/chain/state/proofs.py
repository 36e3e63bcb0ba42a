"""EIP-1186 account and storage proofs (eth_getProof) from the persistent tries.

The tries that produce every block's state root are the same objects proofs walk, so a
proof checks against the block header's ``stateRoot`` by construction.
"""

from __future__ import annotations

from mocknode.chain.primitives import rlp, trie
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.state.world import StateReader, WorldState
from mocknode.types import Address
from mocknode.values import dataclass


@dataclass(frozen=True, slots=True)
class StorageProof:
    key: int
    value: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class AccountProof:
    address: Address
    account_proof: tuple[bytes, ...]
    balance: int
    code_hash: bytes
    nonce: int
    storage_hash: bytes
    storage_proof: tuple[StorageProof, ...]


def prove(
    state: WorldState, reader: StateReader, commit: int, address: Address, slots: list[int]
) -> AccountProof:
    account_trie, storage_trie = state.tries_at(commit, address)
    account = reader.account(address)
    account_proof = tuple(trie.proof(account_trie, trie.to_nibbles(keccak(address))))
    storage_proofs = []
    for slot in slots:
        path = trie.to_nibbles(keccak(slot.to_bytes(32, "big")))
        value = trie.get(storage_trie, path)
        storage_proofs.append(
            StorageProof(
                key=slot,
                value=rlp.to_int(rlp.decode(value)) if value is not None else 0,
                proof=tuple(trie.proof(storage_trie, path)) if storage_trie is not None else (),
            )
        )
    return AccountProof(
        address=address,
        account_proof=account_proof,
        balance=account.balance if account else 0,
        # geth reports a zero code hash for an account that does not exist
        code_hash=account.code_hash if account else bytes(32),
        nonce=account.nonce if account else 0,
        storage_hash=trie.root_hash(storage_trie),
        storage_proof=tuple(storage_proofs),
    )
