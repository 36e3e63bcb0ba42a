"""What the node says about itself (``anvil_nodeInfo``, ``anvil_metadata``,
``anvil_getGenesisTime``), its request log (``anvil_setLoggingEnabled``), and ``anvil_reset``.

The shapes are anvil's (alloy's ``NodeInfo`` and ``Metadata``), field for field and
encoding for encoding: ``currentBlockNumber`` is a hex quantity where
``currentBlockTimestamp`` and ``latestBlockNumber`` are JSON numbers; the environment's
fees and gas limit are hex, its chain id a number; ``snapshots`` maps each live
snapshot id (hex) to ``[blockNumber, blockHash]``. mocknode never forks, so the fork
fields are ``null``; the hardfork is always Prague.

``instanceId`` tells one run of a chain from another, as Hardhat's and anvil's do (a
client seeing it change knows its caches are stale), and changes on ``anvil_reset``.
It is not random, as theirs are: it is the hash of the genesis block and the number of
resets, so a replayed test sees the same ids.
"""

from __future__ import annotations

from typing import Any

from mocknode.chain.primitives.hashing import keccak
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.methods.dev_params import reset_options
from mocknode.rpc.registry import method, optional

HARDFORK = "Prague"  # what py-evm runs here (anvil names its hardforks so: "Prague")


def _fork_config() -> dict[str, None]:
    return {"forkUrl": None, "forkBlockNumber": None, "forkRetryBackoff": None}


@method("anvil_nodeInfo")
def anvil_nodeInfo(ctx: Context) -> dict[str, Any]:
    chain = ctx.chain
    head = chain.head
    return {
        "currentBlockNumber": render.hex_quantity(head.number),
        "currentBlockTimestamp": head.header.timestamp,
        "currentBlockHash": render.hex_data(head.hash),
        "hardFork": HARDFORK,
        "transactionOrder": chain.config.tx_order,
        "environment": {
            "baseFee": render.hex_quantity(chain.next_base_fee()),
            "chainId": chain.config.chain_id,
            "gasLimit": render.hex_quantity(chain.config.gas_limit),
            "gasPrice": render.hex_quantity(chain.gas_price()),
        },
        "forkConfig": _fork_config(),
        "network": "ethereum",
    }


def instance_id(genesis_hash: bytes, resets: int) -> bytes:
    return keccak(genesis_hash + resets.to_bytes(8, "big"))


def _semver(client_version: str) -> str:
    """``0.1.0`` from ``mocknode/v0.1.0/python``."""
    parts = client_version.split("/")
    return parts[1].removeprefix("v") if len(parts) > 1 else client_version


@method("anvil_metadata", aliases=("hardhat_metadata",))
def anvil_metadata(ctx: Context) -> dict[str, Any]:
    chain = ctx.chain
    head = chain.head
    return {
        "clientVersion": ctx.client_version,
        "clientSemver": _semver(ctx.client_version),
        "chainId": chain.config.chain_id,
        "instanceId": render.hex_data(instance_id(chain.blocks[0].hash, chain.resets)),
        "latestBlockNumber": head.number,
        "latestBlockHash": render.hex_data(head.hash),
        "forkedNetwork": None,
        "snapshots": {
            render.hex_quantity(snap_id): [snap.number, render.hex_data(snap.block_hash)]
            for snap_id, snap in chain.snapshots_taken()
        },
    }


@method("anvil_getGenesisTime")
def anvil_getGenesisTime(ctx: Context) -> int:
    """The genesis block's timestamp, a JSON number (anvil's)."""
    return ctx.chain.blocks[0].header.timestamp


@method("anvil_setLoggingEnabled", params.boolean, aliases=("hardhat_setLoggingEnabled",))
def anvil_setLoggingEnabled(ctx: Context, enabled: bool) -> None:
    """Switch the request log (each method's name as it is served) on or off."""
    if ctx.request_log is not None:
        ctx.request_log.enabled = enabled


@method("anvil_reset", optional(reset_options), aliases=("hardhat_reset",))
def anvil_reset(ctx: Context, _: None) -> None:
    """Back to the genesis block with the config the node started with (the pool
    emptied, every snapshot forgotten; mining mode and impersonation kept, as anvil).
    Forking options are refused: mocknode serves its own chain only."""
    ctx.chain.reset()
