"""The tracers by geth's names (:func:`tracer_for`), and the JSON they answer, from what
:mod:`mocknode.chain.evm.tracing` collected. Imported on the first trace only.

Shapes, key orders and encodings are geth 1.16's (eth/tracers/logger, eth/tracers/native):

* struct logs: ``{gas, failed, returnValue, structLogs}``; each step
  ``{pc, op, gas, gasCost, depth, error?, stack?, returnData?, memory?, storage?,
  refund?}`` with decimal numbers, the stack as compact hex quantities, memory as
  64-digit words and storage as 64-digit keys and values, neither with ``0x``;
  ``limit`` counts the encoded bytes of the steps, as geth's logger does, so the step
  that crosses it is the last one kept;
* callTracer frames ``{from, gas, gasUsed, to?, input, output?, error?, revertReason?,
  calls?, logs?, value?, type}`` (gencodec's order: ``calls`` before ``logs``), lower-case
  addresses, hex quantities;
* prestateTracer accounts ``{balance?, code?, codeHash?, nonce?, storage?}`` keyed by
  lower-case address in sorted order (a Go map), nonce as a JSON number; diff mode is
  ``{post, pre}``;
* 4byteTracer ``{"0x<selector>-<size>": count}``, sorted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from mocknode.chain.evm.tracing.calls import CallFrame, CallTracer, CallTracerOptions
from mocknode.chain.evm.tracing.fourbyte import FourByteTracer
from mocknode.chain.evm.tracing.hooks import Step, Tracer
from mocknode.chain.evm.tracing.prestate import AccountState, PrestateOptions, PrestateTracer
from mocknode.chain.evm.tracing.structlog import StructLogger, StructLogOptions
from mocknode.rpc import params
from mocknode.types import Address

_NAMES: dict[int, str] = {
    0x00: "STOP", 0x01: "ADD", 0x02: "MUL", 0x03: "SUB", 0x04: "DIV", 0x05: "SDIV",
    0x06: "MOD", 0x07: "SMOD", 0x08: "ADDMOD", 0x09: "MULMOD", 0x0A: "EXP",
    0x0B: "SIGNEXTEND", 0x10: "LT", 0x11: "GT", 0x12: "SLT", 0x13: "SGT", 0x14: "EQ",
    0x15: "ISZERO", 0x16: "AND", 0x17: "OR", 0x18: "XOR", 0x19: "NOT", 0x1A: "BYTE",
    0x1B: "SHL", 0x1C: "SHR", 0x1D: "SAR", 0x20: "KECCAK256", 0x30: "ADDRESS",
    0x31: "BALANCE", 0x32: "ORIGIN", 0x33: "CALLER", 0x34: "CALLVALUE",
    0x35: "CALLDATALOAD", 0x36: "CALLDATASIZE", 0x37: "CALLDATACOPY", 0x38: "CODESIZE",
    0x39: "CODECOPY", 0x3A: "GASPRICE", 0x3B: "EXTCODESIZE", 0x3C: "EXTCODECOPY",
    0x3D: "RETURNDATASIZE", 0x3E: "RETURNDATACOPY", 0x3F: "EXTCODEHASH",
    0x40: "BLOCKHASH", 0x41: "COINBASE", 0x42: "TIMESTAMP", 0x43: "NUMBER",
    0x44: "DIFFICULTY", 0x45: "GASLIMIT", 0x46: "CHAINID", 0x47: "SELFBALANCE",
    0x48: "BASEFEE", 0x49: "BLOBHASH", 0x4A: "BLOBBASEFEE", 0x50: "POP", 0x51: "MLOAD",
    0x52: "MSTORE", 0x53: "MSTORE8", 0x54: "SLOAD", 0x55: "SSTORE", 0x56: "JUMP",
    0x57: "JUMPI", 0x58: "PC", 0x59: "MSIZE", 0x5A: "GAS", 0x5B: "JUMPDEST",
    0x5C: "TLOAD", 0x5D: "TSTORE", 0x5E: "MCOPY", 0x5F: "PUSH0",
    **{0x60 + i: f"PUSH{i + 1}" for i in range(32)},
    **{0x80 + i: f"DUP{i + 1}" for i in range(16)},
    **{0x90 + i: f"SWAP{i + 1}" for i in range(16)},
    **{0xA0 + i: f"LOG{i}" for i in range(5)},
    0xF0: "CREATE", 0xF1: "CALL", 0xF2: "CALLCODE", 0xF3: "RETURN", 0xF4: "DELEGATECALL",
    0xF5: "CREATE2", 0xFA: "STATICCALL", 0xFD: "REVERT", 0xFE: "INVALID",
    0xFF: "SELFDESTRUCT",
}  # fmt: skip


def op_name(op: int) -> str:
    """geth's OpCode.String()."""
    name = _NAMES.get(op)
    return name if name is not None else f"opcode {op:#x} not defined"


def _hex(value: int) -> str:
    return hex(value)


def _data(value: bytes) -> str:
    return "0x" + value.hex()


def _address(value: bytes) -> str:
    return "0x" + value.hex()


def _word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


# -- struct logs ----------------------------------------------------------------------


def _step_json(step: Step, disable_stack: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "pc": step.pc,
        "op": op_name(step.op),
        "gas": step.gas,
        "gasCost": step.cost,
        "depth": step.depth,
    }
    if step.error:
        entry["error"] = step.error
    if not disable_stack:
        entry["stack"] = [hex(v) for v in step.stack]
    if step.return_data:
        entry["returnData"] = _data(step.return_data)
    if step.memory:
        memory = step.memory
        entry["memory"] = [memory[i : i + 32].hex() for i in range(0, len(memory), 32)]
    if step.storage:
        entry["storage"] = {
            f"{k:064x}": f"{v:064x}" for k, v in sorted(step.storage.items(), key=_slot_key)
        }
    if step.refund:
        entry["refund"] = step.refund
    return entry


def _slot_key(item: tuple[int, int]) -> str:
    return f"{item[0]:064x}"


def struct_logs_json(logger: StructLogger) -> dict[str, Any]:
    options = logger.options
    steps: list[dict[str, Any]] = []
    size = 0
    for step in logger.steps:
        if options.limit and size > options.limit:
            break
        entry = _step_json(step, options.disable_stack)
        if options.limit:
            size += len(json.dumps(entry, separators=(",", ":")))
        steps.append(entry)
    return {
        "gas": logger.gas_used,
        "failed": logger.failed,
        "returnValue": _data(logger.return_value),
        "structLogs": steps,
    }


# -- callTracer -------------------------------------------------------------------------


def call_frame_json(frame: CallFrame) -> dict[str, Any]:
    out: dict[str, Any] = {
        "from": _address(frame.sender),
        "gas": _hex(frame.gas),
        "gasUsed": _hex(frame.gas_used),
    }
    if frame.to is not None:
        out["to"] = _address(frame.to)
    out["input"] = _data(frame.data)
    if frame.output:
        out["output"] = _data(frame.output)
    if frame.error:
        out["error"] = frame.error
    if frame.revert_reason:
        out["revertReason"] = frame.revert_reason
    if frame.calls:
        out["calls"] = [call_frame_json(call) for call in frame.calls]
    if frame.logs:
        out["logs"] = [
            {
                "address": _address(log.address),
                "topics": [_word(t) for t in log.topics],
                "data": _data(log.data),
                "position": _hex(log.position),
            }
            for log in frame.logs
        ]
    if frame.value is not None:
        out["value"] = _hex(frame.value)
    out["type"] = frame.type
    return out


def call_tracer_json(tracer: CallTracer) -> dict[str, Any]:
    if tracer.root is None:
        raise ValueError("incorrect number of top-level calls")
    return call_frame_json(tracer.root)


# -- prestateTracer ---------------------------------------------------------------------


def _account_json(account: AccountState) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if account.balance is not None:
        out["balance"] = _hex(account.balance)
    if account.code:
        out["code"] = _data(account.code)
    if account.code_hash is not None:
        out["codeHash"] = _data(account.code_hash)
    if account.nonce:
        out["nonce"] = account.nonce
    if account.storage:
        out["storage"] = {_word(k): _word(v) for k, v in sorted(account.storage.items())}
    return out


def _accounts_json(accounts: Mapping[Address, AccountState]) -> dict[str, Any]:
    return {_address(a): _account_json(accounts[a]) for a in sorted(accounts)}


def prestate_json(tracer: PrestateTracer) -> dict[str, Any]:
    if tracer.options.diff_mode:
        return {"post": _accounts_json(tracer.post), "pre": _accounts_json(tracer.pre)}
    return _accounts_json(tracer.pre)


# -- 4byteTracer ------------------------------------------------------------------------


def four_byte_json(tracer: FourByteTracer) -> dict[str, int]:
    counts = {f"0x{sel.hex()}-{size}": n for (sel, size), n in tracer.counts.items()}
    return dict(sorted(counts.items()))


# -- choosing a tracer --------------------------------------------------------------------


class ConfigError(ValueError):
    """An unknown tracer or a tracerConfig that does not decode (geth's words)."""


class NoopTracer(Tracer):
    wants_steps = False


def _fields(value: Any, struct: str, names: tuple[str, ...]) -> dict[str, bool]:
    """A tracer's JSON config into a Go struct of booleans (unknown keys ignored)."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise ConfigError(
            f"json: cannot unmarshal {params.json_kind(value)} into Go value of type "
            f"native.{struct}"
        )
    out = {}
    for name in names:
        if value.get(name) is not None:
            item = value[name]
            if item is not True and item is not False:
                raise ConfigError(
                    f"json: cannot unmarshal {params.json_kind(item)} into Go struct field "
                    f"{struct}.{name} of type bool"
                )
            out[re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)] = item
    return out


def _render_struct(tracer: Tracer) -> Any:
    assert isinstance(tracer, StructLogger)
    return struct_logs_json(tracer)


def _render_calls(tracer: Tracer) -> Any:
    assert isinstance(tracer, CallTracer)
    return call_tracer_json(tracer)


def _render_prestate(tracer: Tracer) -> Any:
    assert isinstance(tracer, PrestateTracer)
    return prestate_json(tracer)


def _render_four_byte(tracer: Tracer) -> Any:
    assert isinstance(tracer, FourByteTracer)
    return four_byte_json(tracer)


def _render_noop(tracer: Tracer) -> Any:
    return {}


def tracer_for(
    name: str | None, tracer_config: Any, logger: dict[str, Any]
) -> tuple[Callable[[], Tracer], Callable[[Tracer], Any]]:
    """A factory of fresh tracers named ``name`` (None: the struct logger, with the
    ``logger`` switches) and the renderer of their results."""
    if name is None or name == "":
        options = StructLogOptions(**logger)
        return (lambda: StructLogger(options)), _render_struct
    if name == "callTracer":
        fields = _fields(tracer_config, "callTracerConfig", ("onlyTopCall", "withLog"))
        call_options = CallTracerOptions(**fields)
        return (lambda: CallTracer(call_options)), _render_calls
    if name == "prestateTracer":
        fields = _fields(
            tracer_config, "prestateTracerConfig", ("diffMode", "disableCode", "disableStorage")
        )
        pre_options = PrestateOptions(**fields)
        return (lambda: PrestateTracer(pre_options)), _render_prestate
    if name == "4byteTracer":
        return FourByteTracer, _render_four_byte
    if name == "noopTracer":
        return NoopTracer, _render_noop
    raise ConfigError(f"tracer not found: {name} (mocknode runs no JavaScript tracers)")
