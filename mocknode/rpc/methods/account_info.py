"""``eth_getAccountInfo``: anvil's (and reth's) balance, nonce and code in one call.

Not geth's. Foundry asks it first whenever it forks a node (``cast run``, ``forge
--fork-url``), once per account it touches, and falls back to three calls
(``eth_getBalance``, ``eth_getTransactionCount``, ``eth_getCode``) when the node does not
know it. Found by ``scripts/fidelity`` and ``cast run``; the block is required, as on
anvil, and an absent account is zeros and empty code.
"""

from __future__ import annotations

from mocknode.rpc import params
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import Address, BlockRef


@method("eth_getAccountInfo", params.address, params.block_ref)
def eth_getAccountInfo(ctx: Context, address: Address, ref: BlockRef) -> dict[str, str]:
    chain = ctx.chain
    return {
        "balance": hex(chain.balance(address, ref)),
        "nonce": hex(chain.nonce(address, ref)),
        "code": "0x" + chain.code(address, ref).hex(),
    }
