"""Tries rebuilt from the versioned state, for commits whose own tries were let go.

Every commit's writes copy the trie nodes on their paths (:mod:`mocknode.chain.
primitives.trie`), and keeping each commit's old roots keeps those copies alive: on a
long dev chain that is most of the memory a block costs, because every block writes the
EIP-4788 and EIP-2935 system storage (about 3.5 KiB a block, 350 MB over 100,000 empty
blocks). :class:`~mocknode.chain.state.world.WorldState` therefore keeps the old roots of
recent commits only, and what needs an older one (``eth_getProof`` far back, a revert
past that window) rebuilds it here from the per-key versions, which are kept for every
commit anyway. The cost is the size of the state at that commit, never the chain length.

geth answers a proof past its 128 in-memory states with "missing trie node"; mocknode
keeps answering, just more slowly.
"""

from __future__ import annotations

from collections.abc import Iterable

from mocknode.chain.primitives import rlp, trie
from mocknode.chain.primitives.hashing import keccak
from mocknode.types import Address


def storage_trie(values: Iterable[tuple[int, int]]) -> trie.Node | None:
    """The storage trie holding ``(slot, value)`` pairs; zero values are left out, as a
    delete leaves them."""
    node = None
    for slot, value in values:
        if value:
            path = trie.to_nibbles(keccak(slot.to_bytes(32, "big")))
            node = trie.put(node, path, rlp.encode_int(value))
    return node


def account_trie(leaves: Iterable[tuple[Address, bytes]]) -> trie.Node | None:
    """The account trie holding ``(address, encoded account)`` pairs."""
    node = None
    for address, encoded in leaves:
        node = trie.put(node, trie.to_nibbles(keccak(address)), encoded)
    return node
