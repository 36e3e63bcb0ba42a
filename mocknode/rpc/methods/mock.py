"""mocknode's own control methods: fault rules and the journal over JSON-RPC.

The public contract for clients in any language (``docs/faults.md``)::

    mock_addFault(rule)          -> id       rule: {"match", "trigger", "action"}
    mock_removeFault(id)         -> bool
    mock_clearFaults()           -> true
    mock_listFaults()            -> [{"id", "match", "trigger", "action", "matched", "fired"}]
    mock_setSeed(n)              -> true
    mock_journal({since, limit}) -> {"entries": [...], "next": N, "oldest": N, "dropped": N}

A rule the fault layer refuses is ``-32602`` with its message (``action.status: expected
an integer from 200 to 599, got "x"``). Control calls are never faulted and never count
toward triggers or a connection's sequence (the fault layer skips ``mock_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, RpcError, method_not_found
from mocknode.rpc.params import ParamError
from mocknode.rpc.registry import method, optional

if TYPE_CHECKING:
    from mocknode.rpc.control import FaultControl


def _json(value: Any) -> Any:
    return value


def _rule_id(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ParamError("expected a rule id (a positive integer)")
    return value


def _control(ctx: Context, name: str) -> FaultControl:
    if ctx.faults is None:
        raise method_not_found(name)
    return ctx.faults


def _refused(exc: ValueError) -> RpcError:
    return RpcError(INVALID_PARAMS, str(exc))


@method("mock_addFault", _json)
def mock_addFault(ctx: Context, rule: Any) -> int:
    try:
        return _control(ctx, "mock_addFault").add(rule)
    except ValueError as exc:
        raise _refused(exc) from None


@method("mock_removeFault", _rule_id)
def mock_removeFault(ctx: Context, rule_id: int) -> bool:
    return _control(ctx, "mock_removeFault").remove(rule_id)


@method("mock_clearFaults")
def mock_clearFaults(ctx: Context) -> bool:
    _control(ctx, "mock_clearFaults").clear()
    return True


@method("mock_listFaults")
def mock_listFaults(ctx: Context) -> list[dict[str, Any]]:
    return _control(ctx, "mock_listFaults").list()


@method("mock_setSeed", _json)
def mock_setSeed(ctx: Context, seed: Any) -> bool:
    try:
        _control(ctx, "mock_setSeed").set_seed(seed)
    except ValueError as exc:
        raise _refused(exc) from None
    return True


@method("mock_journal", optional(_json))
def mock_journal(ctx: Context, query: Any) -> dict[str, Any]:
    try:
        return _control(ctx, "mock_journal").journal(query)
    except ValueError as exc:
        raise _refused(exc) from None
