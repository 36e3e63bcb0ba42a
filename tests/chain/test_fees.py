"""The fee rules on their own: EIP-1559's base fee, eth_gasPrice, geth's send defaults."""

from __future__ import annotations

import pytest
from chain_helpers import new_world

from mocknode.chain.args import TxArgs
from mocknode.chain.config import GWEI
from mocknode.chain.errors import InvalidTxArgs
from mocknode.chain.fees import FeeFields, fee_defaults, gas_price, next_base_fee
from mocknode.chain.records import Header
from mocknode.types import Address
from mocknode.values import replace

BASE = 1_000_000_000
TIP = 2 * GWEI


def parent(gas_used: int, gas_limit: int = 30_000_000, base_fee: int = BASE) -> Header:
    _, genesis = new_world()
    return replace(
        genesis.header, gas_used=gas_used, gas_limit=gas_limit, base_fee_per_gas=base_fee
    )


def test_next_base_fee_moves_an_eighth_at_most_towards_the_target() -> None:
    assert next_base_fee(parent(15_000_000)) == BASE  # at the target
    assert next_base_fee(parent(0)) == 875_000_000  # empty: -1/8
    assert next_base_fee(parent(30_000_000)) == 1_125_000_000  # full: +1/8
    assert next_base_fee(parent(22_500_000)) == 1_062_500_000  # half-way up: +1/16
    assert next_base_fee(parent(7_500_000)) == 937_500_000  # half-way down: -1/16
    # Above the target it always rises, by at least 1 wei.
    assert next_base_fee(parent(15_000_001, base_fee=7)) == 8
    assert next_base_fee(parent(14_999_999, base_fee=7)) == 7


def test_gas_price_is_the_tip_on_top_of_the_base_fee() -> None:
    assert gas_price(875_000_000, GWEI) == 1_875_000_000


def test_no_fee_fields_get_a_type_2_with_twice_the_base_fee_plus_tip() -> None:
    assert fee_defaults(TxArgs(), base_fee=BASE, priority_fee=TIP) == FeeFields(
        2, 0, 2 * BASE + TIP, TIP
    )
    only_tip = TxArgs(max_priority_fee_per_gas=5)
    assert fee_defaults(only_tip, base_fee=BASE, priority_fee=TIP) == FeeFields(
        2, 0, 2 * BASE + 5, 5
    )
    only_cap = TxArgs(max_fee_per_gas=3 * GWEI)
    assert fee_defaults(only_cap, base_fee=BASE, priority_fee=TIP) == FeeFields(2, 0, 3 * GWEI, TIP)


def test_a_gas_price_or_legacy_type_gives_a_legacy_or_access_list_transaction() -> None:
    assert fee_defaults(TxArgs(gas_price=7), base_fee=BASE, priority_fee=TIP) == FeeFields(
        0, 7, 7, 7
    )
    suggested = BASE + TIP
    assert fee_defaults(TxArgs(type=0), base_fee=BASE, priority_fee=TIP) == FeeFields(
        0, suggested, suggested, suggested
    )
    assert fee_defaults(TxArgs(type=1), base_fee=BASE, priority_fee=TIP) == FeeFields(
        1, suggested, suggested, suggested
    )
    listed = TxArgs(gas_price=7, access_list=((Address(b"\x01" * 20), ()),))
    assert fee_defaults(listed, base_fee=BASE, priority_fee=TIP) == FeeFields(1, 7, 7, 7)


def test_contradicting_fee_fields_use_geths_words() -> None:
    with pytest.raises(InvalidTxArgs) as failure:
        fee_defaults(TxArgs(gas_price=1, max_fee_per_gas=2), base_fee=BASE, priority_fee=TIP)
    assert failure.value.message == (
        "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"
    )
    with pytest.raises(InvalidTxArgs) as failure:
        fee_defaults(
            TxArgs(max_fee_per_gas=1, max_priority_fee_per_gas=2), base_fee=BASE, priority_fee=TIP
        )
    assert failure.value.message == "maxFeePerGas (1) < maxPriorityFeePerGas (2)"
    with pytest.raises(InvalidTxArgs) as failure:
        fee_defaults(TxArgs(max_fee_per_gas=GWEI), base_fee=BASE, priority_fee=TIP)
    assert failure.value.message == f"maxFeePerGas ({GWEI}) < maxPriorityFeePerGas ({TIP})"
