"""The pool's admission checks with explicit inputs, one geth rejection at a time.

Every message is geth's own text (core/txpool/validation.go, core/txpool/errors.go,
core/error.go): clients match on them. Addresses inside messages are checked against
eth-utils' EIP-55 encoding, not ours.
"""

from __future__ import annotations

import pytest
from chain_helpers import CHAIN_ID, DEV, FUNDS, GAS_LIMIT, install, new_world, signed
from eth_utils import to_checksum_address

from mocknode.chain.config import GWEI
from mocknode.chain.errors import TxRejected
from mocknode.chain.records import Authorization, Tx
from mocknode.chain.state.world import StateReader
from mocknode.chain.tx.validation import validate_for_pool, validate_replacement
from mocknode.types import Address
from mocknode.values import replace

BASE_FEE = 875_000_000
ALICE = DEV[0]


@pytest.fixture(scope="module")
def reader() -> StateReader:
    state, _ = new_world()
    install(state, DEV[1].address, balance=10**18, nonce=3)  # Bob: nonce 3, 1 ether
    return state.reader()


def check(tx: Tx, reader: StateReader, *, base_fee: int = BASE_FEE) -> None:
    validate_for_pool(tx, reader=reader, base_fee=base_fee, chain_id=CHAIN_ID, gas_limit=GAS_LIMIT)


def rejected(tx: Tx, reader: StateReader, *, base_fee: int = BASE_FEE) -> str:
    with pytest.raises(TxRejected) as failure:
        check(tx, reader, base_fee=base_fee)
    return failure.value.message


def test_a_valid_transaction_passes(reader: StateReader) -> None:
    check(signed(ALICE, 0), reader)
    check(signed(DEV[1], 3), reader)


def test_a_nonce_ahead_of_the_state_waits_instead_of_failing(reader: StateReader) -> None:
    # geth's pool queues it until the gap fills: no "nonce too high" at admission.
    check(signed(ALICE, 5), reader)


def test_nonce_too_low(reader: StateReader) -> None:
    assert rejected(signed(DEV[1], 2), reader) == "nonce too low: next nonce 3, tx nonce 2"


def test_insufficient_funds_counts_the_fee_cap_not_the_price(reader: StateReader) -> None:
    tx = signed(DEV[1], 3, value=10**18 - 21000 * 2 * GWEI + 1)
    cost = 21000 * 2 * GWEI + tx.value
    assert rejected(tx, reader) == (
        f"insufficient funds for gas * price + value: balance {10**18}, tx cost {cost}, overshot 1"
    )
    check(replace(tx, value=tx.value - 1), reader)  # exactly affordable


def test_an_unknown_sender_has_nothing(reader: StateReader) -> None:
    stranger = Address(b"\x99" * 20)
    tx = replace(signed(ALICE, 0), sender=stranger)
    cost = 21000 * 2 * GWEI
    assert rejected(tx, reader) == (
        f"insufficient funds for gas * price + value: balance 0, tx cost {cost}, overshot {cost}"
    )


def test_intrinsic_gas_too_low(reader: StateReader) -> None:
    assert rejected(signed(ALICE, 0, gas=20999), reader) == (
        "intrinsic gas too low: gas 20999, minimum needed 21000"
    )
    # Calldata: 5 non-zero bytes at 16 gas, 2 zero bytes at 4.
    data = bytes.fromhex("0102030400ff00")
    assert rejected(signed(ALICE, 0, data=data), reader) == (
        "intrinsic gas too low: gas 21000, minimum needed 21088"
    )
    # Creation: 32,000 more, plus 2 per word of initcode (EIP-3860).
    assert rejected(signed(ALICE, 0, to=None, gas=53000, data=b"\x60"), reader) == (
        "intrinsic gas too low: gas 53000, minimum needed 53018"
    )


def test_calldata_floor_of_eip_7623(reader: StateReader) -> None:
    data = b"\x01" * 100  # intrinsic 21,000 + 1,600; floor 21,000 + 100 * 4 * 10
    assert rejected(signed(ALICE, 0, gas=22600, data=data), reader) == (
        "insufficient gas for floor data gas cost: gas 22600, minimum needed 25000"
    )
    check(signed(ALICE, 0, gas=25000, data=data), reader)


def test_fee_cap_below_the_next_base_fee(reader: StateReader) -> None:
    tx = signed(ALICE, 0, max_fee=BASE_FEE - 1, tip=0)
    assert rejected(tx, reader) == (
        f"max fee per gas less than block base fee: address "
        f"{to_checksum_address(ALICE.address)}, maxFeePerGas: {BASE_FEE - 1}, "
        f"baseFee: {BASE_FEE}"
    )
    check(signed(ALICE, 0, max_fee=BASE_FEE, tip=0), reader)


def test_tip_above_fee_cap(reader: StateReader) -> None:
    assert rejected(signed(ALICE, 0, max_fee=2 * GWEI, tip=3 * GWEI), reader) == (
        "max priority fee per gas higher than max fee per gas"
    )


def test_chain_id_mismatch(reader: StateReader) -> None:
    assert rejected(signed(ALICE, 0, chain_id=1), reader) == (
        f"invalid sender: invalid chain id for signer: have 1 want {CHAIN_ID}"
    )


def test_gas_limit_above_the_blocks(reader: StateReader) -> None:
    assert rejected(signed(ALICE, 0, gas=GAS_LIMIT + 1), reader) == "exceeds block gas limit"
    check(signed(ALICE, 0, gas=GAS_LIMIT), reader)


def test_oversized_data(reader: StateReader) -> None:
    # 128 KiB is the limit on the whole encoded transaction, not on the calldata.
    tx = signed(ALICE, 0, gas=GAS_LIMIT, data=b"\x01" * (128 * 1024 - 200))
    assert len(tx.raw) <= 128 * 1024
    check(tx, reader)
    tx = signed(ALICE, 0, gas=GAS_LIMIT, data=b"\x01" * (128 * 1024))
    assert rejected(tx, reader) == "oversized data"


def test_initcode_above_eip_3860s_limit(reader: StateReader) -> None:
    tx = signed(ALICE, 0, to=None, gas=GAS_LIMIT, data=b"\x01" * 49153)
    assert rejected(tx, reader) == ("max initcode size exceeded: code size 49153, limit 49152")
    check(signed(ALICE, 0, to=None, gas=GAS_LIMIT, data=b"\x01" * 49152), reader)


def test_unsupported_types_and_malformed_7702(reader: StateReader) -> None:
    blob = replace(signed(ALICE, 0), type=3)  # no blob fee cap, no blobs
    assert rejected(blob, reader) == (
        "transaction gas price below minimum: blob fee cap 0, minimum needed 1"
    )
    assert rejected(replace(blob, max_fee_per_blob_gas=1), reader) == "blobless blob transaction"
    assert rejected(replace(signed(ALICE, 0), type=5), reader) == "transaction type not supported"
    auth = Authorization(CHAIN_ID, DEV[2].address, 0, 0, 1, 1)
    set_code = replace(signed(ALICE, 0, gas=50000), type=4, authorization_list=(auth,))
    check(set_code, reader)
    assert rejected(replace(set_code, authorization_list=()), reader) == (
        "EIP-7702 transaction with empty auth list"
    )
    assert rejected(replace(set_code, to=None), reader) == (
        "EIP-7702 transaction cannot be used to create contract"
    )


def test_checks_run_in_geths_order(reader: StateReader) -> None:
    """Several faults at once: the message is the one geth checks first."""
    everything_wrong = signed(
        DEV[1], 0, gas=20000, max_fee=1, tip=2, chain_id=1, data=b"\x01" * (128 * 1024)
    )
    assert rejected(everything_wrong, reader) == "oversized data"
    assert rejected(replace(everything_wrong, raw=b""), reader) == (
        "max priority fee per gas higher than max fee per gas"
    )
    unaffordable_and_stale = signed(DEV[1], 0, value=FUNDS, max_fee=1, tip=0)
    assert rejected(unaffordable_and_stale, reader) == "nonce too low: next nonce 3, tx nonce 0"


def test_replacement_needs_both_fees_raised_by_ten_percent() -> None:
    pooled = signed(ALICE, 0, max_fee=100 * GWEI, tip=10 * GWEI)
    validate_replacement(None, pooled)
    validate_replacement(pooled, signed(ALICE, 0, max_fee=110 * GWEI, tip=11 * GWEI))
    for max_fee, tip in ((110 * GWEI - 1, 11 * GWEI), (200 * GWEI, 11 * GWEI - 1)):
        with pytest.raises(TxRejected) as failure:
            validate_replacement(pooled, signed(ALICE, 0, max_fee=max_fee, tip=tip))
        assert failure.value.message == "replacement transaction underpriced"
