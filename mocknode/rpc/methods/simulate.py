"""eth_createAccessList and eth_simulateV1: calls that report more than their output.

Both run off the chain's state and commit nothing (:mod:`mocknode.chain.evm.access_list`,
:mod:`mocknode.chain.simulate`); this module decodes their arguments and writes their
results in geth's shapes: ``{accessList, error?, gasUsed}``, and per simulated block
geth's block object (keys sorted, as Go writes a map) with its ``calls``.
"""

from __future__ import annotations

from typing import Any

from mocknode.chain.args import TxArgs
from mocknode.chain.evm.access_list import AccessListResult, create_access_list
from mocknode.chain.evm.overrides import StateOverride
from mocknode.chain.simulate import (
    CallResult,
    SimOptions,
    SimulatedBlock,
    SimulationError,
    scratch_root,
    simulate,
)
from mocknode.rpc import params, params_overrides, render
from mocknode.rpc.context import Context
from mocknode.rpc.errors import RpcError
from mocknode.rpc.registry import method, optional
from mocknode.types import LATEST, BlockRef


def _access_list_json(result: AccessListResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "accessList": [
            {"address": "0x" + address.hex(), "storageKeys": ["0x" + k.hex() for k in keys]}
            for address, keys in result.access_list
        ]
    }
    if result.error is not None:
        out["error"] = result.error
    out["gasUsed"] = hex(result.gas_used)
    return out


@method(
    "eth_createAccessList",
    params.call_args,
    optional(params.block_ref, LATEST),
    optional(params_overrides.state_override, ()),
    result=_access_list_json,
)
def eth_createAccessList(
    ctx: Context, args: TxArgs, block: BlockRef, state: StateOverride
) -> AccessListResult:
    chain = ctx.chain
    resolved = chain.resolve(block)
    return create_access_list(
        chain.state_at(resolved),
        chain.call_env(resolved),
        args,
        gas_cap=chain.config.rpc_gas_cap,
        overrides=params_overrides.call_overrides(state, None),
    )


def _call_json(result: CallResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "returnData": "0x" + result.return_data.hex(),
        "logs": [],
        "gasUsed": hex(result.gas_used),
        "status": "0x1" if result.success else "0x0",
    }
    if result.error is not None:
        code, message, data = result.error
        error: dict[str, Any] = {"message": message, "code": code}
        if data is not None:
            error["data"] = "0x" + data.hex()
        out["error"] = error
    return out


def _block_json(simulated: SimulatedBlock, full: bool) -> dict[str, Any]:
    block = simulated.block
    out = render.block_json(block, full)
    calls = []
    for index, result in enumerate(simulated.calls):
        item = _call_json(result)
        item["logs"] = [
            render.log_json(log, block, index, result.first_log_index + i)
            for i, log in enumerate(result.logs)
        ]
        calls.append(item)
    out["calls"] = calls
    return dict(sorted(out.items()))  # geth marshals the block as a map: sorted keys


@method(
    "eth_simulateV1",
    params_overrides.sim_options,
    optional(params.block_ref, LATEST),
)
def eth_simulateV1(ctx: Context, options: SimOptions, block: BlockRef) -> list[dict[str, Any]]:
    chain = ctx.chain
    base = chain.resolve(block)
    root = scratch_root(chain.state) if base is chain.head else None
    try:
        blocks = simulate(
            chain.state_at(base),
            base,
            chain.call_env(base),
            options,
            gas_cap=chain.config.rpc_gas_cap,
            state_root=root,
        )
    except SimulationError as exc:
        raise RpcError(exc.code, exc.message) from None
    return [_block_json(b, options.full_transactions) for b in blocks]
