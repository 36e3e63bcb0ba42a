"""Blob transactions without a node: the codec's two forms, the sidecar and KZG checks,
the pool's checks in geth's order, and the blob fee arithmetic.

KZG proofs are real (ckzg with py-evm's trusted setup): a sidecar built here verifies,
and one changed by a bit does not.
"""

from __future__ import annotations

from typing import Any

import pytest
import rlp as pyrlp
from chain_helpers import CHAIN_ID, DEV, GAS_LIMIT, new_world
from eth_account import Account
from eth_utils import keccak

from mocknode.chain import fees
from mocknode.chain.errors import TxRejected
from mocknode.chain.evm import kzg
from mocknode.chain.records import Header, Tx
from mocknode.chain.state.world import StateReader
from mocknode.chain.tx import codec
from mocknode.chain.tx.blobs import BlobSidecar, versioned_hash
from mocknode.chain.tx.validation import validate_for_pool, validate_replacement
from mocknode.types import Address, Hash32
from mocknode.values import replace

ALICE = DEV[0]
TO = Address(bytes.fromhex("11" * 20))
GWEI = 10**9
BLOB = bytes(131072)
# A blob whose first field element is 1 (every element must stay below the BLS modulus).
BLOB_ONE = bytes(31) + b"\x01" + bytes(131072 - 32)


@pytest.fixture(scope="module")
def reader() -> StateReader:
    state, _ = new_world()
    return state.reader()


@pytest.fixture(scope="module")
def kzg_zero() -> tuple[bytes, bytes]:
    return kzg.blob_commitment_and_proof(BLOB)


def blob_tx(hashes: tuple[Hash32, ...], **changes: Any) -> Tx:
    fields: dict[str, Any] = {
        "private_key": ALICE.private_key,
        "sender": ALICE.address,
        "chain_id": CHAIN_ID,
        "tx_type": 3,
        "nonce": 0,
        "gas": 21000,
        "to": TO,
        "value": 7,
        "data": b"",
        "max_fee_per_gas": 3 * GWEI,
        "max_priority_fee_per_gas": GWEI,
        "max_fee_per_blob_gas": 5,
        "blob_versioned_hashes": hashes,
    }
    fields.update(changes)
    return codec.sign(**fields)


def check(
    tx: Tx, reader: StateReader, sidecar: BlobSidecar | None, *, blob_base_fee: int = 1
) -> None:
    validate_for_pool(
        tx,
        reader=reader,
        base_fee=GWEI,
        chain_id=CHAIN_ID,
        gas_limit=GAS_LIMIT,
        blob_base_fee=blob_base_fee,
        sidecar=sidecar,
        network_size=len(codec.encode_network(tx, sidecar)) if sidecar else len(tx.raw),
    )


def rejected(tx: Tx, reader: StateReader, sidecar: BlobSidecar | None, **kw: Any) -> str:
    with pytest.raises(TxRejected) as failure:
        check(tx, reader, sidecar, **kw)
    return failure.value.message


# -- fee arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "numerator", "denominator", "want"),
    [  # geth's TestFakeExponential vectors
        (1, 0, 1, 1),
        (38493, 0, 1000, 38493),
        (0, 1234, 2345, 0),
        (1, 2, 1, 6),
        (1, 4, 2, 6),
        (1, 3, 1, 16),
        (1, 6, 2, 18),
        (1, 4, 1, 49),
        (1, 8, 2, 50),
        (10, 8, 2, 542),
        (11, 8, 2, 596),
        (1, 5, 1, 136),
        (1, 5, 2, 11),
        (2, 5, 2, 23),
        (1, 50000000, 2225652, 5709098764),
    ],
)
def test_fake_exponential_matches_geths_vectors(
    factor: int, numerator: int, denominator: int, want: int
) -> None:
    assert fees.fake_exponential(factor, numerator, denominator) == want


def test_blob_base_fee_uses_praguess_update_fraction() -> None:
    # geth's Cancun vectors (fraction 3338477) hold for the same function ...
    assert fees.fake_exponential(1, 2314057, 3338477) == 1
    assert fees.fake_exponential(1, 2314058, 3338477) == 2
    assert fees.fake_exponential(1, 10 * 1024 * 1024, 3338477) == 23
    # ... and Prague's fraction (EIP-7691) moves the steps later.
    assert fees.BLOB_BASE_FEE_UPDATE_FRACTION == 5007716
    assert fees.blob_base_fee(0) == 1
    assert fees.blob_base_fee(3471086) == 1
    assert fees.blob_base_fee(3471087) == 2
    assert fees.blob_base_fee(10 * 1024 * 1024) == 8


def header_with(blob_gas_used: int, excess: int) -> Header:
    return Header(
        *(Hash32(bytes(32)),) * 2,
        Address(bytes(20)),
        *(Hash32(bytes(32)),) * 3,
        bytes(256),
        0,
        1,
        GAS_LIMIT,
        0,
        0,
        b"",
        Hash32(bytes(32)),
        bytes(8),
        GWEI,
        Hash32(bytes(32)),
        blob_gas_used,
        excess,
        Hash32(bytes(32)),
        Hash32(bytes(32)),
    )


def test_excess_blob_gas_follows_the_target() -> None:
    assert (fees.TARGET_BLOB_GAS_PER_BLOCK, fees.MAX_BLOB_GAS_PER_BLOCK) == (786432, 1179648)
    assert fees.next_excess_blob_gas(header_with(0, 0)) == 0
    assert fees.next_excess_blob_gas(header_with(9 * 131072, 0)) == 393216
    assert fees.next_excess_blob_gas(header_with(9 * 131072, 393216)) == 786432
    assert fees.next_excess_blob_gas(header_with(3 * 131072, 393216)) == 0
    assert fees.next_excess_blob_gas(header_with(6 * 131072, 5)) == 5


# -- the codec ---------------------------------------------------------------------------


def test_eth_accounts_network_form_decodes_to_geths_hash(kzg_zero: tuple[bytes, bytes]) -> None:
    fields = {
        "type": 3,
        "chainId": CHAIN_ID,
        "nonce": 4,
        "to": "0x" + TO.hex(),
        "value": 9,
        "gas": 50000,
        "maxFeePerGas": 3 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "maxFeePerBlobGas": 11,
        "data": b"\x01\x02",
    }
    signed = Account.sign_transaction(fields, ALICE.private_key, blobs=[BLOB])
    network = bytes(signed.raw_transaction)
    tx, sidecar = codec.decode_with_sidecar(network)
    assert sidecar is not None
    assert sidecar.version == 1  # eth-account 0.14 builds cell proofs only
    assert sidecar.blobs == (BLOB,)
    assert sidecar.commitments == (kzg_zero[0],)
    assert len(sidecar.proofs) == 128
    assert tx.blob_versioned_hashes == (versioned_hash(kzg_zero[0]),)
    assert tx.blob_versioned_hashes[0][0] == 1
    assert (tx.sender, tx.nonce, tx.value, tx.gas, tx.data) == (
        ALICE.address,
        4,
        9,
        50000,
        b"\x01\x02",
    )
    assert (tx.max_fee_per_blob_gas, tx.max_fee_per_gas, tx.max_priority_fee_per_gas) == (
        11,
        3 * GWEI,
        GWEI,
    )
    # The hash is the canonical form's: 0x03 || rlp(the transaction without the sidecar).
    payload = pyrlp.decode(network[1:])[0]
    assert tx.raw == b"\x03" + pyrlp.encode(payload)
    assert tx.hash == keccak(tx.raw)
    assert codec.encode_network(tx, sidecar) == network
    # The canonical form decodes alone, without a sidecar, to the same record.
    assert codec.decode_with_sidecar(tx.raw) == (tx, None)
    assert codec.decode(network) == tx


def test_version_0_round_trip(kzg_zero: tuple[bytes, bytes]) -> None:
    commitment, proof = kzg_zero
    tx = blob_tx((versioned_hash(commitment),))
    sidecar = BlobSidecar(0, (BLOB,), (commitment,), (proof,))
    network = codec.encode_network(tx, sidecar)
    assert pyrlp.decode(network[1:])[1] == [BLOB]  # no version byte before the blobs
    assert codec.decode_with_sidecar(network) == (tx, sidecar)


def blob_payload(**changes: Any) -> list[Any]:
    fields = [CHAIN_ID, 0, GWEI, 3 * GWEI, 21000, TO, 0, b"", [], 1, [bytes([1]) + bytes(31)]]
    names = ["chain_id", "nonce", "tip", "max_fee", "gas", "to", "value", "data", "al", "blob_fee"]
    for key, value in changes.items():
        if key == "hashes":
            fields[10] = value
        else:
            fields[names.index(key)] = value
    return [*fields, 0, 1, 1]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            blob_payload(to=b""),
            "rlp: input string too short for common.Address, decoding into (types.BlobTx).To",
        ),
        (
            blob_payload(hashes=[bytes(31)]),
            "rlp: input string too short for common.Hash, decoding into "
            "(types.BlobTx).BlobHashes[0]",
        ),
        (blob_payload()[:13], "rlp: too few elements for types.BlobTx"),
        ([*blob_payload(), 1], "rlp: input list has too many elements for types.BlobTx"),
        (
            [blob_payload(), [bytes(100)], [], []],
            "rlp: input string too short for kzg4844.Blob, decoding into "
            "(types.blobTxWithBlobs).Blobs[0]",
        ),
        ([blob_payload(), 2, [], [], []], "unsupported blob tx version 2"),
        ([blob_payload(), [], []], "rlp: too few elements for types.blobTxWithBlobsV0"),
    ],
)
def test_malformed_blob_transactions_get_geths_decoder_errors(
    payload: list[Any], message: str
) -> None:
    with pytest.raises(codec.TxDecodeError) as failure:
        codec.decode_with_sidecar(b"\x03" + pyrlp.encode(payload))
    assert str(failure.value) == message


def test_an_empty_type_3_list_is_an_unexpected_eof() -> None:
    with pytest.raises(codec.TxDecodeError, match=r"^unexpected EOF$"):
        codec.decode(b"\x03\xc0")


# -- the pool's checks, in geth's order -------------------------------------------------------


def test_a_valid_sidecar_passes_and_blob_cost_counts_in_funds(
    reader: StateReader, kzg_zero: tuple[bytes, bytes]
) -> None:
    commitment, proof = kzg_zero
    sidecar = BlobSidecar(0, (BLOB,), (commitment,), (proof,))
    tx = blob_tx((versioned_hash(commitment),))
    check(tx, reader, sidecar)
    account = reader.account(ALICE.address)
    assert account is not None
    balance = account.balance
    rich_blob_fee = (balance - 21000 * 3 * GWEI - 7) // 131072 + 1
    poor = blob_tx((versioned_hash(commitment),), max_fee_per_blob_gas=rich_blob_fee)
    cost = 21000 * 3 * GWEI + 7 + 131072 * rich_blob_fee
    assert rejected(poor, reader, sidecar) == (
        f"insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, "
        f"overshot {cost - balance}"
    )


def test_sidecar_checks(reader: StateReader, kzg_zero: tuple[bytes, bytes]) -> None:
    commitment, proof = kzg_zero
    good_hash = versioned_hash(commitment)
    tx = blob_tx((good_hash,))
    assert rejected(tx, reader, None) == "missing sidecar in blob transaction"
    # Built by the node itself (a replacement): no sidecar to ask for.
    validate_for_pool(tx, reader=reader, base_fee=GWEI, chain_id=CHAIN_ID, gas_limit=GAS_LIMIT)
    assert (
        rejected(tx, reader, BlobSidecar(0, (BLOB, BLOB), (commitment,), (proof,)))
        == "invalid number of 2 blobs compared to 1 blob hashes"
    )
    assert (
        rejected(tx, reader, BlobSidecar(0, (BLOB,), (), (proof,)))
        == "invalid number of 0 blob commitments compared to 1 blob hashes"
    )
    wrong_version = Hash32(b"\x02" + good_hash[1:])
    assert rejected(
        blob_tx((wrong_version,)), reader, BlobSidecar(0, (BLOB,), (commitment,), (proof,))
    ) == (
        f"blob 0: computed hash 0x{good_hash.hex()} mismatches transaction one "
        f"0x{wrong_version.hex()}"
    )
    assert (
        rejected(tx, reader, BlobSidecar(0, (BLOB,), (commitment,), ()))
        == "invalid number of 0 blob proofs expected 1"
    )
    # A proof of another blob, or the right blob with a changed byte: KZG says no.
    other_commitment, other_proof = kzg.blob_commitment_and_proof(BLOB_ONE)
    assert (
        rejected(tx, reader, BlobSidecar(0, (BLOB,), (commitment,), (other_proof,)))
        == "KZG verification error: invalid blob proof: can't verify opening proof"
    )
    assert (
        rejected(tx, reader, BlobSidecar(0, (BLOB_ONE,), (commitment,), (proof,)))
        == "KZG verification error: invalid blob proof: can't verify opening proof"
    )
    assert (
        rejected(tx, reader, BlobSidecar(1, (BLOB,), (commitment,), (proof,) * 127))
        == "invalid number of 127 blob proofs expected 128"
    )
    assert (
        rejected(
            blob_tx((versioned_hash(other_commitment),)),
            reader,
            BlobSidecar(1, (BLOB_ONE,), (other_commitment,), (proof,) * 128),
        )
        == "KZG verification error: can't verify opening proof"
    )
    assert other_commitment != commitment


def test_blob_counts_fees_and_size(reader: StateReader, kzg_zero: tuple[bytes, bytes]) -> None:
    commitment, proof = kzg_zero
    h = versioned_hash(commitment)
    seven = BlobSidecar(0, (BLOB,) * 7, (commitment,) * 7, (proof,) * 7)
    assert rejected(blob_tx((h,) * 7), reader, seven) == (
        "transaction blob limit exceeded: blob count 7, limit 6"
    )
    # The count is checked before the sidecar is even looked for.
    assert rejected(blob_tx((h,) * 7), reader, None) == (
        "transaction blob limit exceeded: blob count 7, limit 6"
    )
    empty = BlobSidecar(0, (), (), ())
    assert rejected(blob_tx(()), reader, empty) == "blobless blob transaction"
    one = BlobSidecar(0, (BLOB,), (commitment,), (proof,))
    assert rejected(blob_tx((h,), max_fee_per_blob_gas=0), reader, one) == (
        "transaction gas price below minimum: blob fee cap 0, minimum needed 1"
    )
    assert rejected(blob_tx((h,), max_fee_per_blob_gas=4), reader, one, blob_base_fee=5) == (
        "max fee per blob gas less than block blob gas fee: address "
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 blobGasFeeCap: 4, blobBaseFee: 5"
    )
    check(blob_tx((h,), max_fee_per_blob_gas=5), reader, one, blob_base_fee=5)
    huge = blob_tx((h,) * 6, data=b"\x01" * 300_000, gas=GAS_LIMIT)
    six = BlobSidecar(0, (BLOB,) * 6, (commitment,) * 6, (proof,) * 6)
    size = len(codec.encode_network(huge, six))
    assert rejected(huge, reader, six) == f"oversized data: transaction size {size}, limit 1048576"


def test_blob_replacement_needs_every_cap_doubled() -> None:
    h = (Hash32(b"\x01" + bytes(31)),)
    old = blob_tx(h, max_fee_per_gas=10, max_priority_fee_per_gas=10, max_fee_per_blob_gas=10)

    def refused(**caps: int) -> str:
        new = replace(old, **caps)
        with pytest.raises(TxRejected) as failure:
            validate_replacement(old, new)
        return failure.value.message

    assert refused(max_fee_per_gas=10) == (
        "replacement transaction underpriced: new tx gas fee cap 10 <= 10 queued"
    )
    assert refused(max_fee_per_gas=20, max_priority_fee_per_gas=20) == (
        "replacement transaction underpriced: new tx blob gas fee cap 10 <= 10 queued"
    )
    assert refused(max_fee_per_gas=20, max_priority_fee_per_gas=19, max_fee_per_blob_gas=20) == (
        "replacement transaction underpriced: new tx gas tip cap 19 < 10 queued + 100% "
        "replacement penalty"
    )
    validate_replacement(
        old, replace(old, max_fee_per_gas=20, max_priority_fee_per_gas=20, max_fee_per_blob_gas=20)
    )
