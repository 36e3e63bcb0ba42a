"""mocknode: a mock Ethereum node for tests, one in-memory chain over HTTP, WebSocket and IPC.

The public API is what this module exports (``__all__``); everything else is internal and
may move::

    from mocknode import MockNode, NodeConfig, open_mocknode

    with MockNode(NodeConfig(port=0, ipc_path=None)) as node:  # sync or asyncio code,
        snap = node.snapshot()                                 # trio in a thread;
        node.mine(3)                                           # clients use node.http_url
        node.revert(snap)

    async with open_mocknode(chain_id=5) as node:              # inside trio: your run
        assert await node.request("eth_chainId") == "0x5"
        node.mine()

Both handles offer the same admin methods (:class:`NodeControls`); the pytest plugin hands
tests the same two objects.

Every name is imported on first access (PEP 562): ``import mocknode.cli`` and the pytest
plugin, which every pytest run in the environment loads, run this module first, and
neither should pay for trio, py-evm or the node before it needs them.
"""

# typing.TYPE_CHECKING without importing typing (~10 ms): type checkers read any
# ``TYPE_CHECKING`` as true, and see the names below; the interpreter never runs them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from mocknode.chain.clock import Clock, FixedClock, WallClock
    from mocknode.chain.config import ETHER, GWEI, ChainConfig
    from mocknode.chain.tx.keys import DEFAULT_MNEMONIC, DevAccount
    from mocknode.controls import NodeAccount, NodeControls
    from mocknode.embedded import MockNode
    from mocknode.node import Endpoints, NodeConfig
    from mocknode.trio_node import RPCError, TrioMockNode, open_mocknode
    from mocknode.wire.http import HttpOptions

__all__ = [
    "DEFAULT_MNEMONIC",
    "ETHER",
    "GWEI",
    "ChainConfig",
    "Clock",
    "DevAccount",
    "Endpoints",
    "FixedClock",
    "HttpOptions",
    "MockNode",
    "NodeAccount",
    "NodeConfig",
    "NodeControls",
    "RPCError",
    "TrioMockNode",
    "WallClock",
    "open_mocknode",
]

# Where each public name lives; kept in step with the TYPE_CHECKING imports above (a test
# checks that both name the same objects).
_HOME = {
    "ChainConfig": "mocknode.chain.config",
    "ETHER": "mocknode.chain.config",
    "GWEI": "mocknode.chain.config",
    "Clock": "mocknode.chain.clock",
    "FixedClock": "mocknode.chain.clock",
    "WallClock": "mocknode.chain.clock",
    "DEFAULT_MNEMONIC": "mocknode.chain.tx.keys",
    "DevAccount": "mocknode.chain.tx.keys",
    "NodeAccount": "mocknode.controls",
    "NodeControls": "mocknode.controls",
    "MockNode": "mocknode.embedded",
    "Endpoints": "mocknode.node",
    "NodeConfig": "mocknode.node",
    "RPCError": "mocknode.trio_node",
    "TrioMockNode": "mocknode.trio_node",
    "open_mocknode": "mocknode.trio_node",
    "HttpOptions": "mocknode.wire.http",
}


if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error there

    def __getattr__(name: str) -> object:
        # Not cached in this module's globals: the name always comes from the module that
        # is imported now, so it stays the same object after that module is imported afresh
        # (pytester's in-process runs, importlib.reload). A lookup costs a dict access.
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module 'mocknode' has no attribute {name!r}")
        from importlib import import_module

        return getattr(import_module(home), name)

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
