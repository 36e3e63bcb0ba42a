"""``pool_error``: a transaction refused with geth's pool error, on demand.

The send (``eth_sendTransaction`` or ``eth_sendRawTransaction``) is answered with geth's
``-32000`` error for ``reason`` and never reaches the pool: the chain is not touched.
Where geth's message carries details, they are filled from the transaction itself, as
the node's own pool check words them (:mod:`mocknode.chain.tx.validation`), with the
numbers a real refusal of this transaction would show:

* ``nonce_too_low``: ``nonce too low: next nonce N+1, tx nonce N`` (someone else's
  transaction took the nonce first);
* ``insufficient_funds``: ``insufficient funds for gas * price + value: balance B, tx cost
  C, overshot C-B``, with the sender's balance when it is short, else one wei less than
  the cost (the account was drained meanwhile);
* ``intrinsic_gas_too_low``: ``intrinsic gas too low: gas G, minimum needed M`` with M
  above G;
* ``fee_cap_too_low``: ``max fee per gas less than block base fee: address A,
  maxFeePerGas: F, baseFee: B`` with B above F;
* the others are geth's fixed texts (``already known``, ``replacement transaction
  underpriced``, ``nonce too high``, ``transaction underpriced``, ``exceeds block gas
  limit``, ``txpool is full``).

A send the node would refuse anyway (arguments that do not decode, a transaction it cannot
build or sign) gets the node's own error: geth checks those before the pool sees anything.
Such a call is not journaled as a fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mocknode.chain.errors import ChainError
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.faults.chain_call import PASS, Call, Outcome
from mocknode.faults.personas import TEMPLATES
from mocknode.rpc.errors import RpcError
from mocknode.rpc.params import ParamError

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.chain.records import Tx
    from mocknode.faults.engine import Decision

__all__ = ["pool_error", "pool_error_message"]

_INTRINSIC_GAS: Final = 21_000


def _transaction(call: Call) -> Tx | None:
    """The transaction the call sends, as the node would pool it, or ``None``."""
    from mocknode.rpc import params

    chain = call.chain
    try:
        if call.method == "eth_sendRawTransaction":
            from mocknode.chain.tx import codec

            return codec.decode(params.data(call.first_param()))
        return chain.request_transaction(params.tx_args(call.first_param()), chain.head)
    except (ChainError, RpcError, ParamError, ValueError):
        return None


def pool_error_message(reason: str, tx: Tx, chain: Chain) -> str:
    """geth's text for refusing ``tx`` with ``reason`` (see the module doc)."""
    text = TEMPLATES["geth." + reason].message
    if reason == "nonce_too_low":
        return f"{text}: next nonce {tx.nonce + 1}, tx nonce {tx.nonce}"
    if reason == "insufficient_funds":
        account = chain.state.reader().account(tx.sender)
        cost = tx.gas * tx.max_fee_per_gas + (tx.value or 0)
        balance = max(0, min(account.balance if account else 0, cost - 1))
        return f"{text}: balance {balance}, tx cost {cost}, overshot {cost - balance}"
    if reason == "intrinsic_gas_too_low":
        return f"{text}: gas {tx.gas}, minimum needed {max(tx.gas + 1, _INTRINSIC_GAS)}"
    if reason == "fee_cap_too_low":
        base_fee = max(chain.next_base_fee(), tx.max_fee_per_gas + 1)
        return (
            f"{text}: address {checksum_address(tx.sender)}, "
            f"maxFeePerGas: {tx.max_fee_per_gas}, baseFee: {base_fee}"
        )
    return text


def pool_error(call: Call, decision: Decision) -> Outcome:
    tx = _transaction(call)
    if tx is None:
        return PASS
    return call.error(pool_error_message(decision.params["reason"], tx, call.chain))
