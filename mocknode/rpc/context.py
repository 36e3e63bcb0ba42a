"""What a method function can reach: the chain, node-wide filters, and its connection.

``faults`` is the node's fault controller seen through :class:`~mocknode.rpc.control.
FaultControl` (rpc sits below the fault layer and cannot import it).

A :class:`Context` is made per connection. ``connection`` holds what belongs to that
connection only (subscriptions); filters are node-wide, as in geth, so a client can
create a filter over one HTTP connection and poll it over another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mocknode.chain.chain import Chain
from mocknode.values import dataclass, field

if TYPE_CHECKING:
    from mocknode.chain.logs.query import Filters
    from mocknode.rpc.control import FaultControl
    from mocknode.rpc.deferred import Deferred
    from mocknode.rpc.request_log import RequestLog
    from mocknode.rpc.subscriptions import Subscriptions

CLIENT_VERSION = "mocknode/v0.1.0/python"


@dataclass
class Context:
    chain: Chain
    filters: Filters
    transport: str
    subscriptions: Subscriptions | None = None
    faults: FaultControl | None = None  # the node's fault layer (mock_* methods)
    client_version: str = CLIENT_VERSION
    extra: dict[str, object] = field(default_factory=dict)
    request_log: RequestLog | None = None  # the node's; anvil_setLoggingEnabled switches it
    # Calls of the message being answered that wait for the chain (rpc.deferred); the
    # session takes them after the envelope is built.
    deferred: list[Deferred] = field(default_factory=list)
