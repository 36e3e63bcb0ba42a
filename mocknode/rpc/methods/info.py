"""Node and network identity: web3_*, net_*, and the eth_* methods that describe the node."""

from __future__ import annotations

from mocknode.chain.fees import blob_base_fee
from mocknode.chain.primitives.hashing import keccak
from mocknode.rpc import params, scalars
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import Address


@method("web3_clientVersion")
def web3_clientVersion(ctx: Context) -> str:
    return ctx.client_version


@method("web3_sha3", params.data, result=scalars.hex_data)
def web3_sha3(ctx: Context, data: bytes) -> bytes:
    return keccak(data)


@method("net_version")
def net_version(ctx: Context) -> str:
    return str(ctx.chain.config.chain_id)


@method("net_listening")
def net_listening(ctx: Context) -> bool:
    return True


@method("net_peerCount", result=scalars.hex_quantity)
def net_peerCount(ctx: Context) -> int:
    return 0


@method("eth_chainId", result=scalars.hex_quantity)
def eth_chainId(ctx: Context) -> int:
    return ctx.chain.config.chain_id


@method("eth_syncing")
def eth_syncing(ctx: Context) -> bool:
    return False


@method("eth_mining")
def eth_mining(ctx: Context) -> bool:
    return ctx.chain.automine


@method("eth_hashrate", result=scalars.hex_quantity)
def eth_hashrate(ctx: Context) -> int:
    return 0


@method("eth_accounts", result=scalars.hex_addresses)
def eth_accounts(ctx: Context) -> list[Address]:
    # The dev accounts, then accounts impersonated by name (as anvil lists them).
    return ctx.chain.signers.listed()


@method("eth_coinbase", result=scalars.hex_data)
def eth_coinbase(ctx: Context) -> Address:
    # geth dropped eth_coinbase in 1.14; dev nodes (anvil, hardhat) still answer it.
    return ctx.chain.config.coinbase


@method("eth_gasPrice", result=scalars.hex_quantity)
def eth_gasPrice(ctx: Context) -> int:
    return ctx.chain.gas_price()


@method("eth_maxPriorityFeePerGas", result=scalars.hex_quantity)
def eth_maxPriorityFeePerGas(ctx: Context) -> int:
    return ctx.chain.config.priority_fee


@method("eth_blobBaseFee", result=scalars.hex_quantity)
def eth_blobBaseFee(ctx: Context) -> int:
    """geth's: the blob base fee of the head block (from its excess blob gas)."""
    return blob_base_fee(ctx.chain.head.header.excess_blob_gas)
