"""A block from its header and body: transaction and receipt roots, hash, size.

Needs no EVM, so genesis is assembled at start-up without loading execution (see
:mod:`mocknode.chain.block.mining` for the part that does).
"""

from __future__ import annotations

import hashlib

from mocknode.chain.primitives import rlp, trie
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Block, Header, Receipt, Tx
from mocknode.types import Hash32

# EIP-7685: the hash of an empty list of execution-layer requests.
EMPTY_REQUESTS_HASH = Hash32(hashlib.sha256(b"").digest())


def ordered_root(items: list[bytes]) -> Hash32:
    """Root of the trie keyed by RLP(index): transactions and receipts roots."""
    node = None
    for i, item in enumerate(items):
        node = trie.put(node, trie.to_nibbles(rlp.encode_int(i)), item)
    return Hash32(trie.root_hash(node))


def make_block(header: Header, txs: tuple[Tx, ...], receipts: tuple[Receipt, ...]) -> Block:
    encoded = header.encode()
    body = rlp.encode_list(
        (
            encoded,
            rlp.encode_list(rlp.encode_bytes(tx.raw) if tx.type else tx.raw for tx in txs),
            rlp.encode_list(()),  # ommers
            rlp.encode_list(()),  # withdrawals
        )
    )
    return Block(header, Hash32(keccak(encoded)), txs, receipts, len(body))
