"""debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber/ByHash, as geth 1.16.

Tracers: the struct logger (no ``tracer``), ``callTracer``, ``prestateTracer``,
``4byteTracer`` and ``noopTracer``. A tracer geth would compile as JavaScript is
refused: mocknode runs no JavaScript.

The config is geth's TraceConfig (``enableMemory``, ``disableStack``, ``disableStorage``,
``enableReturnData``, ``limit``, ``tracer``, ``tracerConfig``, ``timeout``; ``reexec`` and
``debug`` accepted and ignored), decoded with Go's type errors. debug_traceCall's
TraceCallConfig also carries ``stateOverrides``, ``blockOverrides`` and ``txIndex``, applied
as geth 1.16's TraceCall applies them: ``txIndex`` runs the call on the state transaction
``txIndex`` of the block ran on (StateAtTransaction) instead of the state after the block;
block overrides change the block context (overriding the number to the block's own + 1
makes the block itself the parent BLOCKHASH sees, geth's #32175); state overrides are then
written into the call's journal (:mod:`mocknode.chain.evm.overrides`, eth_call's module).
A trace with none of them runs as before.

The work is done by :mod:`mocknode.chain.evm.tracing.replay`, which takes explicit
inputs; this module gathers them from the chain and renders what the tracer collected
(:mod:`.debug_render`). ``timeout`` follows geth: Go durations, 5s by default, and a trace
past it fails with ``execution timeout``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mocknode.chain.args import TxArgs
from mocknode.chain.errors import ChainError
from mocknode.chain.evm.overrides import BlockOverrides, StateOverride
from mocknode.chain.records import Block
from mocknode.rpc import params, params_overrides
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method, optional
from mocknode.types import BlockRef, Hash32
from mocknode.values import dataclass, field, replace

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.chain.evm.engine import BlockEnv
    from mocknode.chain.evm.tracing import replay
    from mocknode.chain.evm.tracing.hooks import Tracer
    from mocknode.chain.evm.variant import CallVariant
    from mocknode.chain.state.journal import JournalAccounts
    from mocknode.chain.state.world import StateReader

# The tracers, their rendering (.debug_render) and the replay (mining, the engine, calls)
# are imported when a trace is asked for: this module is imported at start-up with every
# method, and execution is kept out of start-up (chain.warm_up loads it later).

DEFAULT_TIMEOUT = 5.0  # geth's defaultTraceTimeout


class TraceFailed(ChainError):
    """A trace geth refuses or abandons; the text is geth's."""


@dataclass(frozen=True, slots=True)
class TraceConfig:
    tracer: str | None = None
    tracer_config: Any = None
    timeout: str | None = None
    logger: dict[str, Any] = field(default_factory=dict)  # StructLogOptions' fields
    state_overrides: StateOverride = ()
    block_overrides: BlockOverrides | None = None
    tx_index: int | None = None


# -- decoding ---------------------------------------------------------------------------


def _go_bool(value: Any, where: str) -> bool:
    if value is True or value is False:
        return value
    raise params._unmarshal_error(params.json_kind(value), "bool", where)


def _go_int(value: Any, where: str) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    kind = "number " + str(value) if type(value) is float else params.json_kind(value)
    raise params._unmarshal_error(kind, "int", where)


def _go_string(value: Any, where: str) -> str:
    if type(value) is str:
        return value
    raise params._unmarshal_error(params.json_kind(value), "string", where)


_LOGGER_FIELDS = {
    "enableMemory": "enable_memory",
    "disableStack": "disable_stack",
    "disableStorage": "disable_storage",
    "enableReturnData": "enable_return_data",
}


def _config(value: Any, struct: str) -> TraceConfig:
    if value is None:
        return TraceConfig()
    if type(value) is not dict:
        raise params._unmarshal_error(params.json_kind(value), f"tracers.{struct}")
    switches: dict[str, Any] = {}
    for key, name in _LOGGER_FIELDS.items():
        if value.get(key) is not None:
            switches[name] = _go_bool(value[key], f"{struct}.{key}")
    if value.get("limit") is not None:
        switches["limit"] = _go_int(value["limit"], f"{struct}.limit")
    if value.get("debug") is not None:
        _go_bool(value["debug"], f"{struct}.debug")
    tracer = value.get("tracer")
    timeout = value.get("timeout")
    extra: dict[str, Any] = {}
    if struct == "TraceCallConfig":
        for key, name, decode in _CALL_FIELDS:
            if value.get(key) is not None:
                extra[name] = _nested(decode, value[key], f"{struct}.{key}")
    return TraceConfig(
        tracer=None if tracer is None else _go_string(tracer, f"{struct}.tracer"),
        tracer_config=value.get("tracerConfig"),
        timeout=None if timeout is None else _go_string(timeout, f"{struct}.timeout"),
        logger=switches,
        **extra,
    )


_CALL_FIELDS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("stateOverrides", "state_overrides", params_overrides.state_override),
    ("blockOverrides", "block_overrides", params_overrides.block_overrides),
    ("txIndex", "tx_index", params.uint),
)


def _nested(decode: Callable[[Any], Any], value: Any, where: str) -> Any:
    """``decode`` (written for a top-level argument) on a member of TraceCallConfig, its
    type errors placed as Go's encoding/json places them: the member's own type error
    names ``TraceCallConfig.<member>``, and one deeper inside names the innermost struct
    with the path of fields from the config (``OverrideAccount.stateOverrides.balance``)."""
    try:
        return decode(value)
    except params.ParamError as exc:
        text = str(exc)
        member = where.partition(".")[2]
        if " into Go value of type " in text:
            text = text.replace(
                " into Go value of type ", f" into Go struct field {where} of type "
            )
        elif " into Go struct field " in text:
            head, _, rest = text.partition(" into Go struct field ")
            struct, _, path = rest.partition(".")
            text = f"{head} into Go struct field {struct}.{member}.{path}"
        raise params.ParamError(text) from None


def trace_config(value: Any) -> TraceConfig:
    return _config(value, "TraceConfig")


def trace_call_config(value: Any) -> TraceConfig:
    return _config(value, "TraceCallConfig")


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration, in seconds (``"10s"``, ``"1m30s"``, ``"500ms"``)."""
    body = text[1:] if text[:1] in "+-" else text
    negative = text[:1] == "-"
    if body == "0":
        return 0.0
    total, at = 0.0, 0
    while at < len(body):
        match = _DURATION.match(body, at)
        if match is None:
            raise TraceFailed(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        at = match.end()
    if not body:
        raise TraceFailed(f'time: invalid duration "{text}"')
    return -total if negative else total


def _timeout(config: TraceConfig) -> float:
    return DEFAULT_TIMEOUT if config.timeout is None else parse_duration(config.timeout)


Render = Callable[["Tracer"], Any]


def _tracer(config: TraceConfig) -> tuple[Callable[[], Tracer], Render]:
    """A factory of fresh tracers for ``config`` and the renderer of their results."""
    from mocknode.rpc.methods import debug_render

    try:
        return debug_render.tracer_for(config.tracer, config.tracer_config, config.logger)
    except debug_render.ConfigError as exc:
        raise TraceFailed(str(exc)) from None


def _result(traced: replay.Traced, render: Render) -> Any:
    if traced.error is not None:
        raise TraceFailed(traced.error)
    return render(traced.tracer)


# -- blocks -----------------------------------------------------------------------------


def _trace_block(
    ctx: Context, block: Block, config: TraceConfig, only: int | None = None
) -> list[replay.Traced]:
    if block.number == 0:
        raise TraceFailed("genesis is not traceable")
    from mocknode.chain.evm.tracing import replay

    chain = ctx.chain
    make, _ = _tracer(config)
    timeout = _timeout(config)
    reader, parent = _built_on(ctx, block)
    return replay.trace_block(
        reader, parent, block, chain.call_env(block), make, timeout, only=only
    )


def _built_on(ctx: Context, block: Block) -> tuple[StateReader, Block]:
    """The state ``block`` (not genesis) was built on, and its parent: the commit before
    the block's own, so dev edits made before it was mined count."""
    chain = ctx.chain
    if block.number == len(chain.canon.blocks):  # the pending block, built on the head
        return chain.state.reader(), chain.head
    parent = chain.canon.blocks[block.number - 1]
    return chain.state.reader(chain.canon.commits[block.number] - 1), parent


def _block_results(ctx: Context, block: Block, config: TraceConfig) -> list[dict[str, Any]]:
    _, render = _tracer(config)
    results = []
    for traced in _trace_block(ctx, block, config):
        assert traced.tx is not None
        entry: dict[str, Any] = {"txHash": "0x" + traced.tx.hash.hex()}
        if traced.error is not None:
            entry["error"] = traced.error
        else:
            entry["result"] = render(traced.tracer)
        results.append(entry)
    return results


@method("debug_traceTransaction", params.hash32, optional(trace_config, TraceConfig()))
def debug_traceTransaction(ctx: Context, tx_hash: Hash32, config: TraceConfig) -> Any:
    """geth's TraceTransaction: the mined transaction re-run on its block's state."""
    location = ctx.chain.receipt(tx_hash)
    if location is None:
        raise TraceFailed("transaction not found")
    _, render = _tracer(config)
    (traced,) = _trace_block(ctx, location.block, config, only=location.index)
    return _result(traced, render)


def _canonical(ctx: Context, ref: BlockRef) -> Block:
    """A block by number or tag (geth: ``block #N not found``); ``pending`` is the block
    being built on the head, as geth's miner shows it."""
    chain = ctx.chain
    if ref.tag == "pending":
        return chain.pending().block
    number = ref.number if ref.number is not None else chain.resolve(ref).number
    block = chain.block_by_number(number)
    if block is None:
        raise TraceFailed(f"block #{number} not found")
    return block


@method("debug_traceBlockByNumber", params.block_number, optional(trace_config, TraceConfig()))
def debug_traceBlockByNumber(ctx: Context, ref: BlockRef, config: TraceConfig) -> Any:
    return _block_results(ctx, _canonical(ctx, ref), config)


@method("debug_traceBlockByHash", params.hash32, optional(trace_config, TraceConfig()))
def debug_traceBlockByHash(ctx: Context, block_hash: Hash32, config: TraceConfig) -> Any:
    return _block_results(ctx, _by_hash(ctx, block_hash), config)


def _by_hash(ctx: Context, block_hash: Hash32) -> Block:
    block = ctx.chain.block_by_hash(block_hash)
    if block is None:
        raise TraceFailed(f"block {'0x' + block_hash.hex()} not found")
    return block


# -- calls ------------------------------------------------------------------------------


@method(
    "debug_traceCall",
    params.call_args,
    params.block_ref,
    optional(trace_call_config, TraceConfig()),
)
def debug_traceCall(ctx: Context, args: TxArgs, ref: BlockRef, config: TraceConfig) -> Any:
    """geth's TraceCall: the call run as a transaction on top of the block's state (or,
    with ``txIndex``, on the state that transaction of the block ran on), with the
    config's block and state overrides."""
    from mocknode.chain.evm.calls import CALL_GAS_CAP
    from mocknode.chain.evm.tracing import hooks, replay

    chain = ctx.chain
    if ref.tag == "pending":
        raise TraceFailed("tracing on top of pending is not supported")
    block = _by_hash(ctx, ref.block_hash) if ref.block_hash is not None else _canonical(ctx, ref)
    make, render = _tracer(config)
    timeout = _timeout(config)
    env = chain.call_env(block)
    state: StateReader | JournalAccounts
    if config.tx_index is not None:
        if block.number == 0:
            raise TraceFailed("no transaction in genesis")
        reader, parent = _built_on(ctx, block)
        try:
            state = replay.state_at_transaction(reader, parent, block, env, config.tx_index)
        except hooks.TraceRefused as exc:
            raise TraceFailed(str(exc)) from None
    else:
        state = chain.state_at(block)
    env, state, variant = _overridden(chain, block, env, state, config)
    try:
        traced = replay.trace_call(state, env, args, make(), timeout, CALL_GAS_CAP, variant)
    except hooks.TraceRefused as exc:
        raise TraceFailed(f"tracing failed: {exc}") from None
    return _result(traced, render)


def _overridden(
    chain: Chain,
    block: Block,
    env: BlockEnv,
    state: StateReader | JournalAccounts,
    config: TraceConfig,
) -> tuple[BlockEnv, StateReader | JournalAccounts, CallVariant | None]:
    """TraceCall's customization: block overrides on ``env``, then state overrides
    written into a journal over ``state``; untouched when the config has neither."""
    if config.block_overrides is None and not config.state_overrides:
        return env, state, None
    from mocknode.chain.evm import overrides
    from mocknode.chain.evm.tracing import replay
    from mocknode.chain.evm.variant import CallVariant
    from mocknode.chain.state.journal import JournalAccounts

    if config.block_overrides is not None:
        env = overrides.apply_block(env, config.block_overrides)
        if env.number != block.number:
            # geth runs on the block's header, or on a child of it when the number is
            # overridden to the next one (so BLOCKHASH of the block itself is known).
            ref = block.number + 1 if env.number == block.number + 1 else block.number
            hash_of = chain.canon.blocks.__getitem__
            env = replace(
                env,
                ancestor_hashes=replay.overridden_hashes(
                    env.number, ref, lambda n: hash_of(n).hash
                ),
            )
    if not config.state_overrides:
        return env, state, None
    journal = state if isinstance(state, JournalAccounts) else JournalAccounts(state)
    precompiles = overrides.default_precompiles()
    unchanged = dict(precompiles)
    overrides.apply_state(journal, config.state_overrides, precompiles)
    variant = None if precompiles == unchanged else CallVariant(precompiles=precompiles)
    return env, journal, variant
