"""Embedded start-up probe, run in a fresh interpreter by ``bench.startup``.

``python -m bench.probe mocknode|eth-tester`` prints one JSON line: ``import_s`` (importing
the node) and ``ready_s`` (from then to the first answered request). Only the standard
library is imported before the clock starts, so the node's own imports are what is timed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable


def _probe_mocknode() -> tuple[float, float, Callable[[], None]]:
    import http.client

    start = time.perf_counter()
    from mocknode.embedded import MockNode
    from mocknode.node import NodeConfig

    imported = time.perf_counter()
    node = MockNode(NodeConfig(port=0, ipc_path=None)).start()
    endpoint = node.http_url.removeprefix("http://").rstrip("/")
    host, _, port = endpoint.partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(
        "POST",
        "/",
        b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
        {"Content-Type": "application/json"},
    )
    reply = conn.getresponse().read()
    ready = time.perf_counter()
    if b'"result"' not in reply:
        raise RuntimeError(f"unexpected reply {reply!r}")
    conn.close()
    return imported - start, ready - imported, node.close


def _probe_eth_tester() -> tuple[float, float, Callable[[], None]]:
    start = time.perf_counter()
    from web3 import EthereumTesterProvider, Web3

    imported = time.perf_counter()
    w3 = Web3(EthereumTesterProvider())
    w3.eth.block_number  # noqa: B018  (the first answered request)
    ready = time.perf_counter()
    return imported - start, ready - imported, lambda: None


def main(argv: list[str]) -> int:
    probes = {"mocknode": _probe_mocknode, "eth-tester": _probe_eth_tester}
    import_s, ready_s, close = probes[argv[0]]()
    close()
    print(json.dumps({"import_s": import_s, "ready_s": ready_s}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
