"""Blob transactions on a Chain: mined records, the pending block, a state file, a reorg.

In-process (the RPC rendering and the wire are :mod:`tests.rpc.test_blob_rpc`'s): what
the chain keeps of a blob transaction, and that every way a block is built or rebuilt
keeps Prague's blob rules.
"""

from __future__ import annotations

import functools

from mocknode.chain.chain import Chain
from mocknode.chain.evm import kzg
from mocknode.chain.records import Tx
from mocknode.chain.tx import codec
from mocknode.chain.tx.blobs import BlobSidecar, versioned_hash
from mocknode.persist.document import load_document, state_document
from mocknode.persist.files import decode_document, encode_document
from mocknode.types import LATEST, Address

GWEI = 10**9
TO = Address(bytes.fromhex("22" * 20))


@functools.cache
def one_blob() -> BlobSidecar:
    blob = bytes(131072)
    commitment, proof = kzg.blob_commitment_and_proof(blob)
    return BlobSidecar(0, (blob,), (commitment,), (proof,))


def send_blob_tx(chain: Chain, account: int, count: int, *, nonce: int = 0) -> Tx:
    one = one_blob()
    side = BlobSidecar(0, one.blobs * count, one.commitments * count, one.proofs * count)
    dev = chain.accounts[account]
    tx = codec.sign(
        private_key=dev.private_key,
        sender=dev.address,
        chain_id=chain.config.chain_id,
        tx_type=3,
        nonce=nonce,
        gas=21000,
        to=TO,
        value=0,
        data=b"",
        max_fee_per_gas=10 * GWEI,
        max_priority_fee_per_gas=GWEI,
        max_fee_per_blob_gas=3,
        blob_versioned_hashes=tuple(versioned_hash(c) for c in side.commitments),
    )
    assert chain.send_raw_transaction(codec.encode_network(tx, side)) == tx.hash
    return tx


def test_the_chain_keeps_the_canonical_transaction_and_the_blob_gas() -> None:
    chain = Chain()
    tx = send_blob_tx(chain, 0, 2)
    location = chain.receipt(tx.hash)
    assert location is not None
    assert location.tx == tx
    assert location.tx.raw[0] == 3
    assert codec.decode_with_sidecar(location.tx.raw) == (tx, None)
    assert location.block.header.blob_gas_used == 2 * 131072
    assert location.block.header.excess_blob_gas == 0


def test_a_state_file_keeps_blob_transactions_and_headers() -> None:
    chain = Chain()
    chain.set_automine(False)
    for account in range(3):
        send_blob_tx(chain, account, 6 if account != 1 else 3)
    chain.mine(3)
    assert [b.header.blob_gas_used // 131072 for b in chain.blocks[1:]] == [9, 6, 0]
    assert [b.header.excess_blob_gas for b in chain.blocks[1:]] == [0, 393216, 393216]
    fresh = Chain()
    load_document(fresh, decode_document(encode_document(state_document(chain))))
    assert [b.hash for b in fresh.blocks] == [b.hash for b in chain.blocks]
    assert [b.transactions for b in fresh.blocks] == [b.transactions for b in chain.blocks]
    # The next block's excess follows the restored headers.
    fresh.mine()
    chain.mine()
    assert fresh.head.header.excess_blob_gas == chain.head.header.excess_blob_gas == 0


def test_the_pending_block_and_a_rollback_keep_the_blob_limit() -> None:
    chain = Chain()
    chain.set_automine(False)
    sent = [send_blob_tx(chain, account, 6) for account in range(2)]
    pending = chain.pending().block
    assert pending.header.blob_gas_used == 6 * 131072
    assert len(pending.transactions) == 1
    chain.mine()
    chain.mine()
    assert [len(b.transactions) for b in chain.blocks[1:]] == [1, 1]
    # Both blocks rolled back: their transactions return, and a new block takes one.
    chain.rollback(2)
    assert chain.head.number == 0
    assert chain.nonce(sent[0].sender, LATEST) == 0
    chain.mine()
    assert chain.head.header.blob_gas_used == 6 * 131072
    assert len(chain.head.transactions) == 1
