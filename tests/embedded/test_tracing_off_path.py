"""Tracing costs nothing until a trace is asked for (issue 13): a node that mines
transactions, deploys a contract and answers calls and receipts has not loaded the
tracing modules; the first ``debug_trace*`` loads them. Checked in a fresh interpreter,
since this process has long since imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A node in-process, driven over its HTTP socket (urllib: no client library loaded that
# could pull the modules in). The contract returns 42 from any call: PUSH1 42 PUSH1 0
# MSTORE PUSH1 32 PUSH1 0 RETURN, deployed by initcode that copies it out.
SCRIPT = """
import json, sys, urllib.request
from mocknode import MockNode, NodeConfig

def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        reply = json.loads(answer.read())
    assert "result" in reply, reply
    return reply["result"]

def tracing():
    names = sys.modules
    return sorted(n for n in names if ".tracing" in n or n.endswith("debug_render"))

RUNTIME = "602a60005260206000f3"
INITCODE = "600a600c600039600a6000f3" + RUNTIME
with MockNode(NodeConfig(port=0, ipc_path=None)) as node:
    url = node.http_url
    alice, bob = rpc(url, "eth_accounts", [])[:2]
    sent = rpc(url, "eth_sendTransaction", [{"from": alice, "to": bob, "value": "0x1"}])
    deploy = rpc(url, "eth_sendTransaction", [{"from": alice, "data": "0x" + INITCODE}])
    receipt = rpc(url, "eth_getTransactionReceipt", [deploy])
    answer = rpc(url, "eth_call", [{"to": receipt["contractAddress"]}, "latest"])
    assert int(answer, 16) == 42, answer
    rpc(url, "eth_estimateGas", [{"from": alice, "to": receipt["contractAddress"]}])
    before = tracing()
    trace = rpc(url, "debug_traceTransaction", [sent, {"tracer": "callTracer"}])
    assert trace["to"] == bob.lower(), trace
    print(json.dumps({"before": before, "after": tracing()}))
"""


def test_no_tracing_module_loads_before_the_first_trace() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["before"] == []
    assert "mocknode.chain.evm.tracing.calls" in loaded["after"]
    assert "mocknode.rpc.methods.debug_render" in loaded["after"]
