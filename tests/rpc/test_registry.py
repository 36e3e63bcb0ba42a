"""The method registry: registration, dispatch, and geth's argument errors.

A private :class:`Registry` with small methods pins the rules (go-ethereum
rpc/json.go parsePositionalArguments, handler.go handleCall); the real registry is then
checked through the JSON-RPC envelope for the texts clients see.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest

from mocknode.chain.chain import Chain
from mocknode.chain.config import ChainConfig
from mocknode.chain.errors import ChainError, ExecutionFailed
from mocknode.chain.logs.query import Filters
from mocknode.rpc import (
    methods,  # noqa: F401  (registers every method)
    params,
)
from mocknode.rpc.context import Context
from mocknode.rpc.errors import RpcError
from mocknode.rpc.jsonrpc import handle_payload
from mocknode.rpc.params import ParamError
from mocknode.rpc.registry import Registry, optional, registry


def _late(value: Any) -> str:
    """A decoder whose check geth makes only when the method runs."""
    if value == "late":
        raise RpcError(-32000, "checked late")
    return str(value)


def _strict(value: Any) -> Any:
    if value == "bad":
        raise ParamError("bad value")
    return value


def make_registry() -> tuple[Registry, list[tuple[str, tuple[Any, ...]]]]:
    reg = Registry()
    calls: list[tuple[str, tuple[Any, ...]]] = []

    @reg.method("t_two", params.uint64, optional(params.boolean, True), aliases=("t_alias",))
    def two(ctx: Any, number: int, flag: bool) -> Any:
        calls.append(("t_two", (number, flag)))
        return [number, flag]

    @reg.method("t_none", result=hex)
    def none(ctx: Any) -> int:
        calls.append(("t_none", ()))
        return 255

    @reg.method("t_null", _strict, _strict)
    def null(ctx: Any, first: Any, second: Any) -> Any:
        return [first, second]

    @reg.method("t_late", _late, _strict, optional(_strict, "dflt"))
    def late(ctx: Any, first: str, second: Any, third: Any) -> Any:
        calls.append(("t_late", (first, second, third)))
        return first

    @reg.method("t_raw", raw=True)
    def raw(ctx: Any, sent: Any) -> Any:
        return {"sent": sent}

    @reg.method("t_chain")
    def chain_fails(ctx: Any) -> None:
        raise ChainError("header not found")

    @reg.method("t_revert")
    def reverts(ctx: Any) -> None:
        raise ExecutionFailed(
            "execution reverted: no", revert_data=b"\x08\xc3\x79\xa0", reverted=True
        )

    @reg.method("t_revert_empty")
    def reverts_without_data(ctx: Any) -> None:
        raise ExecutionFailed("execution reverted", reverted=True)

    return reg, calls


def rpc_error(reg: Registry, method: str, args: Any) -> tuple[int, str, Any]:
    with pytest.raises(RpcError) as info:
        reg.dispatch(None, method, args)  # type: ignore[arg-type]
    return info.value.code, info.value.message, info.value.data


# -- registration ------------------------------------------------------------------------


def test_names_and_aliases_share_one_function() -> None:
    reg, calls = make_registry()
    assert reg.dispatch(None, "t_two", ["0x5"]) == [5, True]  # type: ignore[arg-type]
    assert reg.dispatch(None, "t_alias", ["0x6", False]) == [6, False]  # type: ignore[arg-type]
    assert reg.methods["t_alias"].func is reg.methods["t_two"].func
    assert calls == [("t_two", (5, True)), ("t_two", (6, False))]


def test_a_name_registers_once() -> None:
    reg, _ = make_registry()
    with pytest.raises(ValueError, match=r"^t_none registered twice$"):
        reg.method("t_none")(lambda ctx: None)
    with pytest.raises(ValueError, match=r"^t_other registered twice$"):
        reg.method("t_other", aliases=("t_other",))(lambda ctx: None)


def test_a_raw_method_declares_no_parameters() -> None:
    with pytest.raises(ValueError, match="a raw method declares no parameters"):
        Registry().method("t_x", params.uint64, raw=True)


def test_result_encoder() -> None:
    reg, calls = make_registry()
    assert reg.dispatch(None, "t_none", None) == "0xff"  # type: ignore[arg-type]
    assert reg.dispatch(None, "t_none", []) == "0xff"  # type: ignore[arg-type]
    assert calls == [("t_none", ()), ("t_none", ())]


def test_raw_method_gets_params_as_sent() -> None:
    reg, _ = make_registry()
    for sent in ([1, "a"], {"k": 1}, None, []):
        assert reg.dispatch(None, "t_raw", sent) == {"sent": sent}  # type: ignore[arg-type]


# -- errors --------------------------------------------------------------------------------


def test_unknown_method() -> None:
    reg, _ = make_registry()
    assert rpc_error(reg, "eth_nope", []) == (
        -32601,
        "the method eth_nope does not exist/is not available",
        None,
    )


def test_object_params_are_non_array_args() -> None:
    reg, _ = make_registry()
    assert rpc_error(reg, "t_two", {"number": "0x1"}) == (-32602, "non-array args", None)


def test_too_many_arguments() -> None:
    reg, calls = make_registry()
    assert rpc_error(reg, "t_none", [1]) == (-32602, "too many arguments, want at most 0", None)
    assert rpc_error(reg, "t_two", ["0x1", True, 3]) == (
        -32602,
        "too many arguments, want at most 2",
        None,
    )
    # geth sees the extra argument only after decoding those before it.
    assert rpc_error(reg, "t_two", ["1", True, 3]) == (
        -32602,
        "invalid argument 0: json: cannot unmarshal hex string without 0x prefix "
        "into Go value of type hexutil.Uint64",
        None,
    )
    assert calls == []


def test_missing_required_argument() -> None:
    reg, _ = make_registry()
    assert rpc_error(reg, "t_two", []) == (-32602, "missing value for required argument 0", None)
    assert rpc_error(reg, "t_null", ["x"]) == (
        -32602,
        "missing value for required argument 1",
        None,
    )


def test_optional_arguments_absent_or_null_take_the_default() -> None:
    reg, _ = make_registry()
    assert reg.dispatch(None, "t_two", ["0x1"]) == [1, True]  # type: ignore[arg-type]
    assert reg.dispatch(None, "t_two", ["0x1", None]) == [1, True]  # type: ignore[arg-type]
    assert reg.dispatch(None, "t_two", ["0x1", False]) == [1, False]  # type: ignore[arg-type]


def test_required_null_reaches_the_decoder() -> None:
    # Go hands null to the argument's decoder: it is not "missing".
    reg, _ = make_registry()
    assert reg.dispatch(None, "t_null", [None, None]) == [None, None]  # type: ignore[arg-type]
    assert rpc_error(reg, "t_two", [None]) == (
        -32602,
        "invalid argument 0: json: cannot unmarshal non-string into Go value of type "
        "hexutil.Uint64",
        None,
    )


def test_param_error_gets_the_argument_index() -> None:
    reg, _ = make_registry()
    assert rpc_error(reg, "t_null", ["x", "bad"]) == (
        -32602,
        "invalid argument 1: bad value",
        None,
    )
    assert rpc_error(reg, "t_two", ["0x1", "yes"]) == (
        -32602,
        "invalid argument 1: json: cannot unmarshal string into Go value of type bool",
        None,
    )


def test_late_checks_come_after_every_argument_decoded() -> None:
    reg, calls = make_registry()
    assert rpc_error(reg, "t_late", ["late", "ok"]) == (-32000, "checked late", None)
    # A later malformed argument, a missing one, or one too many all win over it.
    assert rpc_error(reg, "t_late", ["late", "bad"])[1] == "invalid argument 1: bad value"
    assert rpc_error(reg, "t_late", ["late"])[1] == "missing value for required argument 1"
    assert rpc_error(reg, "t_late", ["late", 1, 2, 3])[1] == "too many arguments, want at most 3"
    assert calls == []
    assert reg.dispatch(None, "t_late", ["fine", 1]) == "fine"  # type: ignore[arg-type]
    assert calls == [("t_late", ("fine", 1, "dflt"))]


def test_chain_errors_become_geth_error_objects() -> None:
    reg, _ = make_registry()
    assert rpc_error(reg, "t_chain", []) == (-32000, "header not found", None)
    assert rpc_error(reg, "t_revert", []) == (3, "execution reverted: no", "0x08c379a0")
    # geth uses code 3 only when there are revert bytes to hand back.
    assert rpc_error(reg, "t_revert_empty", []) == (-32000, "execution reverted", None)


# -- the real registry, through the envelope ---------------------------------------------


@pytest.fixture(scope="module")
def dispatch() -> Any:
    chain = Chain(ChainConfig())
    ctx = Context(chain=chain, filters=Filters(chain), transport="http")
    return partial(registry.dispatch, ctx)


def call(dispatch: Any, method: str, args: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": args}
    out = handle_payload(json.dumps(body).encode(), dispatch)
    assert out is not None
    return json.loads(out)


def error_of(dispatch: Any, method: str, args: Any) -> tuple[int, str]:
    answer = call(dispatch, method, args)
    return answer["error"]["code"], answer["error"]["message"]


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        (
            "evm_setIntervalMining",
            ["ten"],
            "invalid argument 0: json: cannot unmarshal hex string without 0x prefix "
            "into Go value of type hexutil.Uint64",
        ),
        (
            "eth_getBlockByNumber",
            ["0x01", False],
            "invalid argument 0: hex number with leading zero digits",
        ),
        ("eth_getBlockByNumber", ["latest"], "missing value for required argument 1"),
        (
            "eth_getBalance",
            ["0x" + "11" * 21, "latest"],
            "invalid argument 0: hex string has length 42, want 40 for common.Address",
        ),
        (
            "eth_getCode",
            ["0x" + "11" * 20, "safest"],
            "invalid argument 1: hex string without 0x prefix",
        ),
        (
            "eth_getBalance",
            ["0x" + "11" * 20, {"blockHash": "0x12", "requireCanonical": True}],
            "invalid argument 1: json: cannot unmarshal object into Go value of type string",
        ),
        (
            "eth_sendRawTransaction",
            ["0x123"],
            "invalid argument 0: json: cannot unmarshal hex string of odd length "
            "into Go value of type hexutil.Bytes",
        ),
        ("eth_chainId", [1], "too many arguments, want at most 0"),
        ("eth_getLogs", [{"topics": [1]}], "invalid argument 0: invalid topic(s)"),
    ],
)
def test_invalid_params_through_the_envelope(
    dispatch: Any, method: str, args: list[Any], message: str
) -> None:
    assert error_of(dispatch, method, args) == (-32602, message)


def test_late_errors_through_the_envelope(dispatch: Any) -> None:
    address = "0x" + "11" * 20
    assert error_of(dispatch, "eth_getStorageAt", [address, "0xzz", "latest"]) == (
        -32000,
        "unable to decode storage key: hex string invalid",
    )
    # geth finds the block before it reads the key, and decodes every argument first.
    assert error_of(dispatch, "eth_getStorageAt", [address, "0xzz", "0x10000"]) == (
        -32000,
        "header not found",
    )
    assert error_of(dispatch, "eth_getStorageAt", [address, "0xzz", "10"]) == (
        -32602,
        "invalid argument 2: hex string without 0x prefix",
    )
    # eth_getProof checks its keys before it looks for the block.
    assert error_of(dispatch, "eth_getProof", [address, ["0x" + "1" * 65], "0x10000"]) == (
        -32000,
        "hex string too long, want at most 32 bytes",
    )
    assert error_of(dispatch, "eth_getProof", [address, ["0x1"], "10"]) == (
        -32602,
        "invalid argument 2: hex string without 0x prefix",
    )
    assert error_of(dispatch, "eth_getBalance", [address, {}]) == (
        -32000,
        "invalid arguments; neither block nor hash specified",
    )
    assert error_of(dispatch, "eth_getBalance", [address, None]) == (
        -32000,
        "invalid arguments; neither block nor hash specified",
    )


def test_null_where_go_takes_the_zero_value(dispatch: Any) -> None:
    # null for a Go bool is false; an optional block is latest.
    latest = call(dispatch, "eth_getBlockByNumber", ["latest", False])["result"]
    assert call(dispatch, "eth_getBlockByNumber", ["latest", None])["result"] == latest
    assert call(dispatch, "eth_getBlockByNumber", [None, False])["error"] == {
        "code": -32602,
        "message": "invalid argument 0: hex string without 0x prefix",
    }
