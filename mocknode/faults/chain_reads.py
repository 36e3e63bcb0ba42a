"""Chain faults decided per request: reads from a lagging, pruning or forgetful node.

Each kind is applied to one call (a single request, or one call of a batch), by the
node's own method code wherever it can be (never by mutating the chain or the rendered-
JSON caches other clients share):

* ``stale_head``: the call runs on a :class:`~mocknode.faults.chain_view.LaggedChain` at
  ``head - lag`` (``lag`` = ``blocks`` plus a seeded 0..``jitter``): ``eth_blockNumber``
  goes back and forth, ``latest`` is the lagged head, later blocks are ``null`` or
  ``header not found`` exactly as blocks that do not exist yet, ``eth_getLogs`` stops there.
* ``replicas``: the engine picks a replica (round-robin over the rule's matches, seeded
  random, or sticky by connection); its reads run on a view ``lag`` blocks behind (nonces
  flip-flop). Each replica has its own filters: a filter installed through one replica and
  polled through another is ``filter not found`` (uninstalling it there answers
  ``false``). Calls that write (sends, dev methods) reach the real chain, as a replica
  forwards them; a call the chosen replica answers as the head would is not journaled as
  a fault.
* ``pruned_state``: the call runs on a :class:`~mocknode.faults.chain_view.PrunedChain`:
  a state read of a block older than the ``blocks`` most recent ones (genesis excepted)
  answers geth's ``-32000 missing trie node <state root> (path ) <nil>``; a recent one is
  answered normally and not journaled.
* ``index_lag``: the call runs normally and what an index ``blocks`` behind would not have
  yet is taken out of the answer: a receipt or mined transaction of a block above
  ``head - blocks`` is ``null``; so are that block's receipts; ``eth_getLogs`` and
  ``eth_getFilterLogs`` leave out its logs; ``eth_getFilterChanges`` holds them back and
  hands them out at a later poll of that filter once they are visible (a poll the rule
  applies to). An answer with nothing to hide is not journaled.
* ``filter_expiry``: the rule also sees filter installs, which start the filter's idle
  clock (node clock); ``eth_getFilterChanges`` resets it, as in geth. A filter idle longer
  than ``seconds`` when it is next polled is gone: it is uninstalled for real and the poll
  answers ``-32000 filter not found`` (``eth_uninstallFilter``: ``false``), as geth
  answers once its timeout loop removed it. A filter the rule never saw installed starts
  its clock at the first poll it sees. Polls of live filters are not journaled.
* ``pool_error`` is in :mod:`mocknode.faults.chain_pool`.

Per-node state (filter owners, idle clocks, held logs) lives in the controller's
:class:`~mocknode.faults.chain_events.ChainFaults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from mocknode.chain.errors import ChainError
from mocknode.chain.records import Block
from mocknode.faults.chain_call import PASS, Call, Core, Outcome, Same, number, response
from mocknode.faults.chain_view import LaggedChain, PrunedChain, lagged_head
from mocknode.faults.kinds_chain import FILTER_INSTALL_METHODS, FILTER_POLL_METHODS
from mocknode.rpc.errors import RpcError

if TYPE_CHECKING:
    from mocknode.faults.engine import Decision
    from mocknode.types import BlockRef

__all__ = [
    "FILTER_INSTALLS",
    "LAGGED_READS",
    "READ_CORES",
    "filter_expiry",
    "index_lag",
    "pruned_state",
    "replicas",
    "stale_head",
]

FILTER_INSTALLS: Final = frozenset(FILTER_INSTALL_METHODS)
_FILTER_POLLS: Final = frozenset(FILTER_POLL_METHODS)
LAGGED_READS: Final = frozenset(
    (
        "eth_blockNumber",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getBlockTransactionCountByNumber",
        "eth_getBlockTransactionCountByHash",
        "eth_getUncleCountByBlockNumber",
        "eth_getUncleCountByBlockHash",
        "eth_getTransactionByHash",
        "eth_getTransactionByBlockHashAndIndex",
        "eth_getTransactionByBlockNumberAndIndex",
        "eth_getRawTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_getBlockReceipts",
        "eth_getLogs",
        "eth_call",
        "eth_estimateGas",
        "eth_createAccessList",
        "eth_getBalance",
        "eth_getTransactionCount",
        "eth_getCode",
        "eth_getStorageAt",
        "eth_getProof",
        "eth_feeHistory",
    )
)
"""Methods that only read the chain: what a lagging view may answer (nothing else is
ever run on a view)."""

_FILTER_NOT_FOUND: Final = "filter not found"  # go-ethereum eth/filters/api.go


# ----------------------------------------------------------------------- stale head


def _lagged(call: Call, lag: int) -> Outcome:
    """The call answered by a node ``lag`` blocks behind (:class:`LaggedChain`)."""
    chain = call.chain
    head = chain.head.number
    top = lagged_head(head, lag)
    if top == head:
        return PASS
    reply = call.run_on(LaggedChain(chain, top))
    return Same(reply) if reply is None else reply


def stale_head(call: Call, decision: Decision) -> Outcome:
    return _lagged(call, decision.params["lag"])


# ----------------------------------------------------------------------- replicas


def replicas(call: Call, decision: Decision) -> Outcome:
    params = decision.params
    replica: int = params["replica"]
    owners = call.state.filter_owner
    method = call.method
    if method in FILTER_INSTALLS:
        reply = call.run()
        answer = response(reply)
        if answer is not None and isinstance(answer["result"], str):
            owners[(decision.rule_id, answer["result"])] = replica
        return Same(reply)
    if method in _FILTER_POLLS:
        filter_id = call.first_param()
        owner = owners.get((decision.rule_id, filter_id)) if isinstance(filter_id, str) else None
        if owner is None or owner == replica:
            return PASS
        if method == "eth_uninstallFilter":
            return call.result(False)
        return call.error(_FILTER_NOT_FOUND)
    if method not in LAGGED_READS:
        return PASS
    return _lagged(call, params["lag"])


# ----------------------------------------------------------------------- pruned state


class _Pruning(PrunedChain):
    """A :class:`PrunedChain` that remembers whether it refused a read."""

    refused = False

    def resolve(self, ref: BlockRef) -> Block:
        try:
            return super().resolve(ref)
        except ChainError as exc:
            if exc.message.startswith("missing trie node "):
                self.refused = True
            raise


def pruned_state(call: Call, decision: Decision) -> Outcome:
    view = _Pruning(call.chain, decision.params["blocks"])
    reply = call.run_on(view)
    return reply if view.refused and reply is not None else Same(reply)


# ----------------------------------------------------------------------- index lag


def _hidden(entry: Any, horizon: int) -> bool:
    """Whether a log, receipt or transaction object belongs to a block above ``horizon``."""
    if not isinstance(entry, dict):
        return False
    at = number(entry.get("blockNumber"))
    return at is not None and at > horizon


def _block_of(call: Call) -> int | None:
    """The block number ``eth_getBlockReceipts`` asks for, as the node resolves it."""
    from mocknode.rpc.params import block_ref

    try:
        return call.chain.resolve(block_ref(call.first_param())).number
    except (ChainError, RpcError, ValueError):
        return None


def index_lag(call: Call, decision: Decision) -> Outcome:
    horizon = call.chain.head.number - decision.params["blocks"]
    method = call.method
    if method == "eth_getBlockReceipts":
        asked = _block_of(call)
        return PASS if asked is None or asked <= horizon else call.result(None)
    if method == "eth_getFilterChanges":
        return _filter_changes(call, horizon)
    reply = call.run()
    answer = response(reply)
    if answer is None:
        return Same(reply)
    result = answer["result"]
    if method in ("eth_getTransactionReceipt", "eth_getTransactionByHash"):
        return call.result(None) if _hidden(result, horizon) else Same(reply)
    if isinstance(result, list) and any(_hidden(entry, horizon) for entry in result):
        return call.result([entry for entry in result if not _hidden(entry, horizon)])
    return Same(reply)


def _filter_changes(call: Call, horizon: int) -> Outcome:
    filter_id = call.first_param()
    held_logs = call.state.held_logs
    held = held_logs.pop(filter_id, []) if isinstance(filter_id, str) else []
    reply = call.run()
    answer = response(reply)
    if answer is None or not isinstance(answer["result"], list):
        if held and isinstance(filter_id, str):
            held_logs[filter_id] = held  # not delivered: keep them for the next poll
        return Same(reply)
    entries = held + answer["result"]
    keep = [entry for entry in entries if _hidden(entry, horizon)]
    if not held and not keep:
        return Same(reply)
    if keep:
        assert isinstance(filter_id, str)
        held_logs[filter_id] = keep
    return call.result([entry for entry in entries if not _hidden(entry, horizon)])


# ----------------------------------------------------------------------- filter expiry


def filter_expiry(call: Call, decision: Decision) -> Outcome:
    active = call.state.filter_active
    method = call.method
    now = call.time
    if method in FILTER_INSTALLS:
        reply = call.run()
        answer = response(reply)
        if answer is not None and isinstance(answer["result"], str):
            active[answer["result"]] = now
        return Same(reply)
    filter_id = call.first_param()
    if not isinstance(filter_id, str):
        return PASS
    last = active.get(filter_id)
    if last is not None and now - last > decision.params["seconds"]:
        del active[filter_id]
        call.conn.answer_call("eth_uninstallFilter", [filter_id], "0")  # geth removed it
        if method == "eth_uninstallFilter":
            return call.result(False)
        return call.error(_FILTER_NOT_FOUND)
    if method == "eth_uninstallFilter":
        active.pop(filter_id, None)
    elif method == "eth_getFilterChanges" or last is None:
        active[filter_id] = now  # geth resets the deadline on GetFilterChanges only
    return PASS


READ_CORES: Final[dict[str, Core]] = {
    "stale_head": stale_head,
    "replicas": replicas,
    "pruned_state": pruned_state,
    "index_lag": index_lag,
    "filter_expiry": filter_expiry,
}
"""Kind -> core (see :mod:`mocknode.faults.chain_call`)."""
