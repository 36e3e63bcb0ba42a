"""Method registration and dispatch: one typed function per JSON-RPC method.

Each method module declares its functions with :func:`method`, naming a decoder per
positional parameter and an encoder for the result; the function itself sees only
typed values and returns typed values. Unknown methods get -32601 from this one
place, parameter problems get geth's -32602 wording, and chain errors become geth's
error objects here, so no method function builds an error by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from mocknode.chain.errors import ChainError, ExecutionFailed
from mocknode.rpc.codec import ParamError
from mocknode.rpc.errors import (
    EXECUTION_REVERTED,
    INVALID_PARAMS,
    SERVER_ERROR,
    RpcError,
    method_not_found,
)

if TYPE_CHECKING:
    from mocknode.rpc.context import Context

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Param:
    decode: Callable[[Any], Any]
    required: bool = True
    default: Any = None


def optional(decode: Callable[[Any], Any], default: Any = None) -> Param:
    return Param(decode, required=False, default=default)


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    func: Callable[..., Any]
    params: tuple[Param, ...]
    encode: Callable[[Any], Any]


@dataclass
class Registry:
    methods: dict[str, MethodSpec] = field(default_factory=dict)

    def method(
        self,
        name: str,
        *params: Param | Callable[[Any], Any],
        result: Callable[[Any], Any] = _identity,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[F], F]:
        specs = tuple(p if isinstance(p, Param) else Param(p) for p in params)

        def register(func: F) -> F:
            for each in (name, *aliases):
                if each in self.methods:
                    raise ValueError(f"{each} registered twice")
                self.methods[each] = MethodSpec(each, func, specs, result)
            return func

        return register

    def dispatch(self, ctx: Context, name: str, params: list[Any] | dict[str, Any] | None) -> Any:
        spec = self.methods.get(name)
        if spec is None:
            raise method_not_found(name)
        args = _decode_args(spec, params)
        try:
            value = spec.func(ctx, *args)
        except ChainError as exc:
            raise chain_error(exc) from None
        return spec.encode(value)


def _decode_args(spec: MethodSpec, params: list[Any] | dict[str, Any] | None) -> list[Any]:
    if params is None:
        params = []
    if isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, "non-array args")
    if len(params) > len(spec.params):
        raise RpcError(INVALID_PARAMS, f"too many arguments, want at most {len(spec.params)}")
    args = []
    for i, param in enumerate(spec.params):
        raw = params[i] if i < len(params) else None
        if raw is None:
            if param.required:
                raise RpcError(INVALID_PARAMS, f"missing value for required argument {i}")
            args.append(param.default)
            continue
        try:
            args.append(param.decode(raw))
        except ParamError as exc:
            raise RpcError(INVALID_PARAMS, f"invalid argument {i}: {exc}") from None
    return args


def chain_error(exc: ChainError) -> RpcError:
    """geth's error object for a chain failure (code 3 only for reverts with data)."""
    if isinstance(exc, ExecutionFailed) and exc.reverted and exc.revert_data:
        return RpcError(EXECUTION_REVERTED, exc.message, "0x" + exc.revert_data.hex())
    return RpcError(SERVER_ERROR, exc.message)


registry = Registry()
method = registry.method
