"""Fee rules: the EIP-1559 base fee, the suggested gas price, the fees a sent
transaction gets when it names none.

Pure functions of the values they are given (a parent header, a base fee, the
configured tip), so the chain, the block builder and the tests all use one rule.
"""

from __future__ import annotations

from mocknode.chain.args import TxArgs
from mocknode.chain.errors import InvalidTxArgs
from mocknode.chain.records import Header, Tx
from mocknode.values import dataclass


def next_base_fee(parent: Header) -> int:
    """EIP-1559: move the base fee by up to 1/8 towards the gas target."""
    target = parent.gas_limit // 2
    base = parent.base_fee_per_gas
    used = parent.gas_used
    if used == target:
        return base
    if used > target:
        return base + max(1, base * (used - target) // target // 8)
    return base - base * (target - used) // target // 8


def gas_price(base_fee: int, priority_fee: int) -> int:
    """eth_gasPrice: the suggested tip plus the head's base fee (geth's rule)."""
    return priority_fee + base_fee


@dataclass(frozen=True, slots=True)
class FeeFields:
    """A transaction's type and fee fields once the defaults are filled in."""

    tx_type: int
    gas_price: int  # 0 for type 2
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def fee_defaults(args: TxArgs, *, base_fee: int, priority_fee: int) -> FeeFields:
    """geth's ``setFeeDefaults`` for eth_sendTransaction.

    ``base_fee`` is the head block's, ``priority_fee`` the tip the node suggests.
    A legacy price (or type 0/1) gets the suggested gas price; otherwise a type-2
    transaction whose fee cap covers twice the head's base fee plus the tip.
    """
    dynamic = args.max_fee_per_gas is not None or args.max_priority_fee_per_gas is not None
    if args.gas_price is not None and dynamic:
        raise InvalidTxArgs("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
    if args.gas_price is not None or args.type in (0, 1):
        price = args.gas_price if args.gas_price is not None else gas_price(base_fee, priority_fee)
        tx_type = 1 if args.access_list or args.type == 1 else 0
        return FeeFields(tx_type, price, price, price)
    tip = args.max_priority_fee_per_gas
    if tip is None:
        tip = priority_fee
    max_fee = args.max_fee_per_gas
    if max_fee is None:
        max_fee = 2 * base_fee + tip
    if max_fee < tip:
        raise InvalidTxArgs(f"maxFeePerGas ({max_fee}) < maxPriorityFeePerGas ({tip})")
    return FeeFields(2, 0, max_fee, tip)


# -- blob gas (EIP-4844, with Prague's EIP-7691 parameters) ----------------------------

GAS_PER_BLOB = 131072  # 2**17: one blob's blob gas (its size in bytes)
TARGET_BLOB_GAS_PER_BLOCK = 6 * GAS_PER_BLOB  # 786432
MAX_BLOB_GAS_PER_BLOCK = 9 * GAS_PER_BLOB  # 1179648
MAX_BLOBS_PER_BLOCK = MAX_BLOB_GAS_PER_BLOCK // GAS_PER_BLOB
BLOB_BASE_FEE_UPDATE_FRACTION = 5007716
MIN_BLOB_BASE_FEE = 1


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """EIP-4844's integer approximation of ``factor * e ** (numerator / denominator)``."""
    i = 1
    output = 0
    accumulator = factor * denominator
    while accumulator > 0:
        output += accumulator
        accumulator = accumulator * numerator // (denominator * i)
        i += 1
    return output // denominator


def blob_base_fee(excess_blob_gas: int) -> int:
    """The price of one unit of blob gas in a block with this excess blob gas."""
    return fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas, BLOB_BASE_FEE_UPDATE_FRACTION)


def next_excess_blob_gas(parent: Header) -> int:
    """The excess blob gas of the block after ``parent``: what its parent carried plus
    what it used, less the target (Prague's rule, no EIP-7918 floor: that is Osaka's)."""
    return max(0, parent.excess_blob_gas + parent.blob_gas_used - TARGET_BLOB_GAS_PER_BLOCK)


def blob_gas(blob_count: int) -> int:
    """The blob gas a transaction carrying ``blob_count`` blobs uses."""
    return blob_count * GAS_PER_BLOB


def blob_fee_cap_cost(tx: Tx) -> int:
    """The most a blob transaction's blobs may cost (geth's Cost() adds it)."""
    return blob_gas(len(tx.blob_versioned_hashes)) * tx.max_fee_per_blob_gas


def blob_tx_fits(tx: Tx, *, excess_blob_gas: int, blob_gas_left: int, balance: int) -> bool:
    """A blob transaction can go into a block with ``excess_blob_gas`` and
    ``blob_gas_left`` from a sender holding ``balance``: its blobs fit, its blob fee
    cap covers the blob base fee, and the balance covers all three caps and the value."""
    return (
        blob_gas(len(tx.blob_versioned_hashes)) <= blob_gas_left
        and tx.max_fee_per_blob_gas >= blob_base_fee(excess_blob_gas)
        and balance >= tx.gas * tx.max_fee_per_gas + tx.value + blob_fee_cap_cost(tx)
    )
