"""Method registration and dispatch: one typed function per JSON-RPC method.

Each method module declares its functions with :func:`method`, naming a decoder per
positional parameter (:mod:`mocknode.rpc.params`) and an encoder for the result
(:mod:`mocknode.rpc.render`); the function itself sees only typed values and returns
typed values. Unknown methods get -32601 from this one place, parameter problems get
geth's -32602 wording, and chain errors become geth's error objects here, so no method
function builds an error by hand.

Arguments follow geth's ``parsePositionalArguments``: more than declared is ``too many
arguments, want at most N``; a required argument that is absent is ``missing value for
required argument N``; an optional one that is absent or ``null`` takes its default (a Go
pointer left nil). A required argument given as ``null`` is decoded like any other value,
since Go hands ``null`` to the argument's decoder. A decoder's :class:`ParamError`
becomes ``invalid argument N: <text>``; an :class:`RpcError` raised by a decoder is a
check geth makes once every argument has decoded, so it is raised after the rest decode.

Method modules load on first use: :mod:`mocknode.rpc.methods` declares which module
registers which names (:meth:`Registry.defer`), and the first call of one of them
imports its module. A served node that answers ``eth_blockNumber`` has imported the
one module behind it, not the ~25 behind every namespace (a third of the CLI's start-up
went there). The table is data rather than a scan of the modules because finding the
names any other way means importing them; :meth:`Registry.method` refuses a name the
table gives to another module, and a test checks the table against what registers.
Answering a call costs nothing more: only a name missing from the loaded ones looks
in the table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from mocknode.chain.errors import ChainError, ExecutionFailed
from mocknode.rpc.errors import (
    EXECUTION_REVERTED,
    INVALID_PARAMS,
    SERVER_ERROR,
    RpcError,
    method_not_found,
)
from mocknode.rpc.params import ParamError
from mocknode.rpc.steps import Deferred, Steps
from mocknode.values import dataclass

if TYPE_CHECKING:
    from mocknode.rpc.context import Context

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Param:
    """How one positional argument decodes; ``default`` stands in when an optional
    argument is absent or ``null``."""

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
    raw: bool = False  # the function takes the params as sent and decodes them itself


class Registry:
    """Every method by name: the ones registered, and the ones whose module is not
    imported yet (:meth:`defer`)."""

    __slots__ = ("_lazy", "_specs")

    def __init__(self) -> None:
        self._specs: dict[str, MethodSpec] = {}
        self._lazy: dict[str, str] = {}  # method name -> the module that registers it

    @property
    def methods(self) -> dict[str, MethodSpec]:
        """Every method, each one's module imported first (for listings and tests; a
        call goes through :meth:`dispatch`, which imports only what it needs)."""
        self.load_all()
        return self._specs

    def names(self) -> set[str]:
        """Every method name, loaded or not, importing nothing."""
        return set(self._specs) | set(self._lazy)

    def defer(self, module: str, names: Iterable[str]) -> None:
        """Declare that importing ``module`` registers ``names``: they are served, and
        the module is imported on the first call of one of them."""
        for name in names:
            if name in self._specs or self._lazy.get(name, module) != module:
                raise ValueError(f"{name} registered twice")
            self._lazy[name] = module

    def load_all(self) -> None:
        for module in sorted(set(self._lazy.values())):
            self._import(module)

    def lookup(self, name: str) -> MethodSpec | None:
        """The method called ``name``, its module imported if it was not yet."""
        spec = self._specs.get(name)
        if spec is None:
            module = self._lazy.get(name)
            if module is not None:
                self._import(module)
                spec = self._specs.get(name)
        return spec

    def _import(self, module: str) -> None:
        importlib.import_module(module)
        missing = [name for name, owner in self._lazy.items() if owner == module]
        if missing:
            raise LookupError(f"{module} does not register {', '.join(sorted(missing))}")

    def method(
        self,
        name: str,
        *params: Param | Callable[[Any], Any],
        result: Callable[[Any], Any] = _identity,
        aliases: tuple[str, ...] = (),
        raw: bool = False,
    ) -> Callable[[F], F]:
        """Register the decorated function as ``name`` (and ``aliases``).

        ``params`` are the positional arguments' decoders (a bare callable is a required
        argument, :func:`optional` an optional one); ``result`` encodes the returned
        value. ``raw=True`` hands the function the params as sent instead (``list``,
        ``dict`` or ``None``), for a method whose arguments depend on each other, as
        ``eth_subscribe``'s depend on the subscription name.
        """
        specs = tuple(p if isinstance(p, Param) else Param(p) for p in params)
        if raw and specs:
            raise ValueError(f"{name}: a raw method declares no parameters")

        def register(func: F) -> F:
            seen: set[str] = set()
            for each in (name, *aliases):
                if each in self._specs or each in seen:
                    raise ValueError(f"{each} registered twice")
                seen.add(each)
                owner = self._lazy.get(each, func.__module__)
                if owner != func.__module__:
                    raise ValueError(f"{each} is declared in {owner}, not {func.__module__}")
            for each in (name, *aliases):
                self._lazy.pop(each, None)
                self._specs[each] = MethodSpec(each, func, specs, result, raw)
            return func

        return register

    def dispatch(self, ctx: Context, name: str, params: list[Any] | dict[str, Any] | None) -> Any:
        """Run method ``name``: the JSON-RPC envelope's ``dispatch`` once bound to a
        context. Raises :class:`RpcError` for everything a client must be told."""
        spec = self._specs.get(name)
        if spec is None:
            spec = self.lookup(name)
            if spec is None:
                raise method_not_found(name)
        try:
            if spec.raw:
                value = spec.func(ctx, params)
            else:
                value = spec.func(ctx, *decode_args(spec.params, params))
        except ChainError as exc:
            raise chain_error(exc) from None
        if type(value) is Deferred:  # work in steps (mocknode.rpc.steps): encode at the end
            return Deferred(_finish(value.steps, spec.encode))
        return spec.encode(value)


def _finish(steps: Steps, encode: Callable[[Any], Any]) -> Steps:
    try:
        value = yield from steps
    except ChainError as exc:
        raise chain_error(exc) from None
    return encode(value)


def decode_args(specs: tuple[Param, ...], params: list[Any] | dict[str, Any] | None) -> list[Any]:
    """Decode positional ``params`` against ``specs`` in geth's order (see the module
    docstring); raises :class:`RpcError` with geth's -32602 texts."""
    if params is None:
        params = []
    elif type(params) is not list:
        raise RpcError(INVALID_PARAMS, "non-array args")
    count = len(specs)
    args = []
    deferred: RpcError | None = None
    for i, raw in enumerate(params):
        if i == count:
            # geth notices the extra argument only after decoding the ones before it.
            raise RpcError(INVALID_PARAMS, f"too many arguments, want at most {count}")
        param = specs[i]
        if raw is None and not param.required:
            args.append(param.default)
            continue
        try:
            args.append(param.decode(raw))
        except ParamError as exc:
            raise RpcError(INVALID_PARAMS, f"invalid argument {i}: {exc}") from None
        except RpcError as exc:
            # A check geth makes once the method runs: after every argument decoded.
            args.append(None)
            deferred = deferred or exc
    if len(args) < count:
        for i in range(len(args), count):
            param = specs[i]
            if param.required:
                raise RpcError(INVALID_PARAMS, f"missing value for required argument {i}")
            args.append(param.default)
    if deferred is not None:
        raise deferred
    return args


def chain_error(exc: ChainError) -> RpcError:
    """geth's error object for a chain failure (code 3 only for reverts with data)."""
    if isinstance(exc, ExecutionFailed) and exc.reverted and exc.revert_data:
        return RpcError(EXECUTION_REVERTED, exc.message, "0x" + exc.revert_data.hex())
    return RpcError(SERVER_ERROR, exc.message)


registry = Registry()
method = registry.method
