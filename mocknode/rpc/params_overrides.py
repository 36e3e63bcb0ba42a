"""The override arguments of eth_call, eth_estimateGas, eth_createAccessList and
eth_simulateV1, decoded as geth 1.16's ``encoding/json`` decodes ``override.StateOverride``
and ``override.BlockOverrides``.

Go ignores members it does not know, and so does this module: a misspelt field is no
error in geth either (``stateDif`` is silently nothing). Field errors name the Go struct
field as :mod:`mocknode.rpc.params` does for transactions (``Go struct field
OverrideAccount.balance of type *hexutil.Big``); a map key that is no address or hash
gets the bare hexutil text, as Go reports a key's ``UnmarshalText`` error unwrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from mocknode.chain.evm.calls import CallOverrides
from mocknode.chain.evm.overrides import AccountOverride, BlockOverrides, StateOverride
from mocknode.chain.simulate import SimBlock, SimOptions
from mocknode.rpc import hexutil, params
from mocknode.rpc.params import ParamError, json_kind
from mocknode.types import Address

__all__ = ["block_overrides", "call_overrides", "sim_options", "state_override"]

_ACCOUNT: Final = "OverrideAccount."
_BLOCK: Final = "BlockOverrides."


def _type_error(value: Any, go_type: str, where: str | None = None) -> ParamError:
    target = f"Go struct field {where}" if where else "Go value"
    return ParamError(f"json: cannot unmarshal {json_kind(value)} into {target} of type {go_type}")


def _key(text: str, size: int, name: str) -> bytes:
    """A map key through ``UnmarshalText``: hexutil's error, unwrapped."""
    try:
        return hexutil.unmarshal_fixed(text, size, name)
    except hexutil.HexError as exc:
        raise ParamError(str(exc)) from None


def _slots(value: Any, field: str) -> tuple[tuple[int, int], ...]:
    where = _ACCOUNT + field
    if type(value) is not dict:
        raise _type_error(value, "map[common.Hash]common.Hash", where)
    out = []
    for key, item in value.items():
        slot = _key(key, 32, "common.Hash")
        word = params.hash32(item, where)
        out.append((int.from_bytes(slot, "big"), int.from_bytes(word, "big")))
    return tuple(out)


_ACCOUNT_FIELDS: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "nonce": ("nonce", lambda v: params.uint64(v, _ACCOUNT + "nonce")),
    "code": ("code", lambda v: params.data(v, _ACCOUNT + "code")),
    "balance": ("balance", lambda v: params.quantity(v, _ACCOUNT + "balance")),
    "state": ("state", lambda v: _slots(v, "state")),
    "stateDiff": ("state_diff", lambda v: _slots(v, "stateDiff")),
    "movePrecompileToAddress": (
        "move_precompile_to",
        lambda v: params.address(v, _ACCOUNT + "movePrecompileToAddress"),
    ),
}


def _account(value: Any) -> AccountOverride:
    if value is None:
        return AccountOverride()
    if type(value) is not dict:
        raise _type_error(value, "override.OverrideAccount")
    fields: dict[str, Any] = {}
    for key, item in value.items():
        spec = _ACCOUNT_FIELDS.get(key)
        if spec is None or item is None:
            continue
        fields[spec[0]] = spec[1](item)
    return AccountOverride(**fields)


def state_override(value: Any) -> StateOverride:
    """``override.StateOverride``: address -> account override (``null``: none)."""
    if value is None:
        return ()
    if type(value) is not dict:
        raise _type_error(value, "override.StateOverride")
    return tuple(
        (Address(_key(key, 20, "common.Address")), _account(item)) for key, item in value.items()
    )


def _withdrawals(value: Any) -> bool:
    if type(value) is not list:
        raise _type_error(value, "types.Withdrawals", _BLOCK + "Withdrawals")
    return True


_BLOCK_FIELDS: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "number": ("number", lambda v: params.quantity(v, _BLOCK + "Number")),
    "difficulty": ("difficulty", lambda v: params.quantity(v, _BLOCK + "Difficulty")),
    "time": ("time", lambda v: params.uint64(v, _BLOCK + "Time")),
    "gasLimit": ("gas_limit", lambda v: params.uint64(v, _BLOCK + "GasLimit")),
    "feeRecipient": ("fee_recipient", lambda v: params.address(v, _BLOCK + "FeeRecipient")),
    "prevRandao": ("prev_randao", lambda v: params.hash32(v, _BLOCK + "PrevRandao")),
    "baseFeePerGas": ("base_fee", lambda v: params.quantity(v, _BLOCK + "BaseFeePerGas")),
    "blobBaseFee": ("blob_base_fee", lambda v: params.quantity(v, _BLOCK + "BlobBaseFee")),
    "beaconRoot": ("beacon_root", lambda v: params.hash32(v, _BLOCK + "BeaconRoot")),
    "withdrawals": ("withdrawals", _withdrawals),
}


def block_overrides(value: Any) -> BlockOverrides | None:
    """``override.BlockOverrides`` (``null``: none)."""
    if value is None:
        return None
    if type(value) is not dict:
        raise _type_error(value, "override.BlockOverrides")
    fields: dict[str, Any] = {}
    for key, item in value.items():
        spec = _BLOCK_FIELDS.get(key)
        if spec is None or item is None:
            continue
        fields[spec[0]] = spec[1](item)
    return BlockOverrides(**fields)


def call_overrides(state: StateOverride, block: BlockOverrides | None) -> CallOverrides | None:
    """Both override arguments as one value; None when neither says anything (the call
    then takes the plain path, paying nothing for the feature)."""
    if not state and block is None:
        return None
    return CallOverrides(state or None, block)


def _bool(value: Any, where: str) -> bool:
    if value is None:
        return False
    if value is not True and value is not False:
        raise _type_error(value, "bool", where)
    return bool(value)


def _sim_block(value: Any) -> SimBlock:
    if value is None:
        return SimBlock()
    if type(value) is not dict:
        raise _type_error(value, "ethapi.simBlock", "simOpts.blockStateCalls")
    raw_calls = value.get("calls")
    if raw_calls is not None and type(raw_calls) is not list:
        raise _type_error(raw_calls, "[]ethapi.TransactionArgs", "simOpts.blockStateCalls.calls")
    return SimBlock(
        block_overrides=block_overrides(value.get("blockOverrides")),
        state_overrides=state_override(value.get("stateOverrides")),
        calls=tuple(params.call_args(call) for call in raw_calls or ()),
    )


def sim_options(value: Any) -> SimOptions:
    """eth_simulateV1's ``simOpts`` (``null``: no blocks, which geth calls empty input)."""
    if value is None:
        return SimOptions(())
    if type(value) is not dict:
        raise _type_error(value, "ethapi.simOpts")
    blocks = value.get("blockStateCalls")
    if blocks is not None and type(blocks) is not list:
        raise _type_error(blocks, "[]ethapi.simBlock", "simOpts.blockStateCalls")
    return SimOptions(
        blocks=tuple(_sim_block(block) for block in blocks or ()),
        trace_transfers=_bool(value.get("traceTransfers"), "simOpts.traceTransfers"),
        validation=_bool(value.get("validation"), "simOpts.validation"),
        full_transactions=_bool(
            value.get("returnFullTransactions"), "simOpts.returnFullTransactions"
        ),
    )
