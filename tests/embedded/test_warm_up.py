"""The EVM warm-up: py-evm is imported in the background shortly after a node listens
(``WARM_UP_DELAY_S``, so the first requests are not slowed by it: a matter of timing,
measured by ``bench/startup.py``, not asserted here), and not at all by a node closed
before then. Checked in fresh interpreters (this one has long since imported py-evm)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(script: str) -> dict[str, bool]:
    prologue = "import json, sys, threading, time\nfrom mocknode import MockNode, NodeConfig\n"
    proc = subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out: dict[str, bool] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_warm_up_loads_py_evm_after_the_first_answers() -> None:
    out = run(
        """
        from web3 import HTTPProvider, Web3
        loaded_before = "eth.vm" in sys.modules
        node = MockNode(NodeConfig(port=0, ipc_path=None)).start()
        w3 = Web3(HTTPProvider(node.http_url))
        answered = w3.eth.block_number == 0
        threads = [t for t in threading.enumerate() if t.name == "mocknode-evm-import"]
        for t in threads:
            t.join(60)
        after = "eth.vm" in sys.modules
        node.close()
        print(json.dumps({"before": loaded_before, "answered": answered,
                          "threads": len(threads) == 1,
                          "after": after}))
        """
    )
    assert out == {
        "before": False,
        "answered": True,
        "threads": True,
        "after": True,
    }


def test_a_node_closed_at_once_skips_the_import() -> None:
    out = run(
        """
        node = MockNode(NodeConfig(port=0, ipc_path=None)).start()
        node.close()
        alive = [t for t in threading.enumerate() if t.name == "mocknode-evm-import"]
        print(json.dumps({"loaded": "eth.vm" in sys.modules, "threads_left": bool(alive)}))
        """
    )
    assert out == {"loaded": False, "threads_left": False}
