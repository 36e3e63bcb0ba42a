"""What a user's first script does: start a node in a new process and deploy at once.

The session-scoped node in this test run has already executed many transactions by the
time a test deploys a contract, which can hide faults that only show on a process's
first executions (module-level counters, lazily built caches). This test runs the
scenario in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from web3 import Web3, HTTPProvider
    from mocknode import MockNode, NodeConfig

    artifact = json.loads(open(sys.argv[1]).read())
    sender = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    out = {}
    with MockNode(NodeConfig(port=0, ipc_path=None)) as node:
        w3 = Web3(HTTPProvider(node.http_url))
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        try:
            tx_hash = factory.constructor("first").transact({"from": sender})
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            greeter = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
            out["status"] = receipt["status"]
            out["block"] = receipt["blockNumber"]
            out["greeting"] = greeter.functions.greet().call()
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out))
    """
)


def test_first_deployment_in_a_fresh_process() -> None:
    artifact = ROOT / "fixtures" / "artifacts" / "Greeter.json"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(artifact)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"status": 1, "block": 1, "greeting": "first"}
