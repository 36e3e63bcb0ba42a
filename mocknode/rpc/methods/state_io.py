"""The chain's state as bytes over JSON-RPC: ``anvil_dumpState`` and ``anvil_loadState``.

``anvil_dumpState([preserveHistoricalStates])`` answers, as anvil does, the hex of a
gzipped JSON document: mocknode's state document (:mod:`mocknode.persist.document`),
the same one ``--dump-state`` writes (unzipped) to a file. It always holds the whole
history, so the flag is accepted and changes nothing.

``anvil_loadState(data)`` takes such bytes (gzipped or plain JSON) and answers
``true``. Where anvil *merges* a dump's accounts into its current state (nonces taking
the higher value), mocknode *replaces* its chain with the dumped one: blocks, receipts,
logs, every historical state, the pool and time travel, so a round trip is exact
(same hashes and roots, the same next block). The loading node keeps its own mining
mode, impersonation and dev keys; every snapshot is forgotten, and subscriptions and
filters hear nothing (as after ``evm_revert``). Data that is not a mocknode state, or
from a newer mocknode, is refused with -32602 and says why; nothing is changed then.

``hardhat_dumpState`` and ``hardhat_loadState`` are the same methods, as on anvil.
:mod:`mocknode.persist` is imported on the first call: no node start pays for it.
"""

from __future__ import annotations

from mocknode.persist.errors import StateFileError
from mocknode.rpc import params, render
from mocknode.rpc.context import Context
from mocknode.rpc.errors import INVALID_PARAMS, RpcError
from mocknode.rpc.registry import method, optional


@method(
    "anvil_dumpState",
    optional(params.boolean, False),
    result=render.hex_data,
    aliases=("hardhat_dumpState",),
)
def anvil_dumpState(ctx: Context, preserve_historical_states: bool) -> bytes:
    from mocknode.persist.document import state_document
    from mocknode.persist.files import encode_document

    return encode_document(state_document(ctx.chain), compress=True)


@method("anvil_loadState", params.data, aliases=("hardhat_loadState",))
def anvil_loadState(ctx: Context, data: bytes) -> bool:
    from mocknode.persist.document import load_document
    from mocknode.persist.files import decode_document

    try:
        load_document(ctx.chain, decode_document(data))
    except StateFileError as exc:
        raise RpcError(INVALID_PARAMS, f"invalid argument 0: {exc}") from None
    return True
