"""A call that differs from a plain ``eth_call``: moved precompiles, transfer logs, commits.

State overrides may move or remove precompiles (geth's ``movePrecompileToAddress``), and
``eth_simulateV1`` with ``traceTransfers`` logs every ether transfer as an ERC-7528
``Transfer`` event. Both change the computation class py-evm runs, so
:func:`variant_class` derives one per call from the class the engine would use. Only
calls that ask for a variant pay for it: a plain ``eth_call`` never reaches this module.

No py-evm import here: the base class comes from the engine (the one door to py-evm);
this module only knows the few attributes it overrides.
"""

from __future__ import annotations

from typing import Any

from mocknode.types import Address
from mocknode.values import dataclass

# ERC-7528's address for native ether, and keccak("Transfer(address,address,uint256)").
TRANSFER_LOG_ADDRESS = Address(b"\xee" * 20)
TRANSFER_TOPIC = 0xDDF252AD1BE2C89B69C2B068FC378DAA952BA7F163C4A11628F55A4DF523B3EF


@dataclass(frozen=True, slots=True)
class CallVariant:
    """How a call differs from a plain eth_call.

    ``precompiles``: address -> the fork's precompile that runs there (None: the fork's
    set unchanged); ``transfer_logs``: every value transfer logs an ERC-7528 ``Transfer``
    in the frame that makes it (so a frame that fails drops it, as geth's simulation
    tracer does); ``commit``: settle fees, refunds and EIP-161 deletions into the journal
    as a mined transaction would, ``nonce`` being the transaction's (eth_simulateV1)."""

    precompiles: dict[Address, Address] | None = None
    transfer_logs: bool = False
    commit: bool = False
    nonce: int = 0


def variant_class(base: Any, variant: CallVariant) -> Any:
    """py-evm computation class ``base`` with ``variant``'s precompiles and transfer logs."""
    attrs: dict[str, Any] = {}
    if variant.precompiles is not None:
        table = base.get_precompiles()
        attrs["_precompiles"] = {to: table[source] for to, source in variant.precompiles.items()}
    if variant.transfer_logs:
        attrs["apply_computation"] = classmethod(_logging_transfers)
    return type("VariantComputation", (base,), attrs)


def _logging_transfers(
    cls: Any,
    state: Any,
    message: Any,
    transaction_context: Any,
    parent_computation: Any = None,
) -> Any:
    # The log's place among the frame's logs is drawn before the frame runs, so it comes
    # before everything the frame and its children log.
    moves_value = message.should_transfer_value and message.value
    counter = transaction_context.get_next_log_counter() if moves_value else None
    computation = super(cls, cls).apply_computation(
        state, message, transaction_context, parent_computation
    )
    if counter is not None:
        to = message.storage_address if message.is_create else message.to
        topics = (TRANSFER_TOPIC, int.from_bytes(message.sender, "big"), int.from_bytes(to, "big"))
        entry = (counter, TRANSFER_LOG_ADDRESS, topics, message.value.to_bytes(32, "big"))
        computation._log_entries.insert(0, entry)
    return computation
