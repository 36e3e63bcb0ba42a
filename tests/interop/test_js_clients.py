"""ethers v6 and viem, over HTTP, WebSocket and IPC, against a ``mocknode`` process.

Runs ``interop/check.mjs`` (see interop/README.md for its 120 checks, viem's test
client in anvil mode among them). ``scripts/test`` installs its npm dependencies;
without Node.js or them this test fails and says so, rather than passing without
having run.

The node runs as users run it, request log on: its stdout is read to the end by a
thread (a full pipe would stall the node), and the log is checked to hold the dev
methods viem's test client sent.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTEROP = ROOT / "interop"
CHECKS = 120


def test_ethers_and_viem_over_every_transport(tmp_path: Path) -> None:
    node_bin = shutil.which("node")
    if node_bin is None or not (INTEROP / "node_modules" / "viem").is_dir():
        pytest.fail("Node.js and interop/node_modules are required: run scripts/test to set up")
    ipc = tmp_path / "node.ipc"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mocknode", "--port", "0", "--ipc-path", str(ipc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []
    drain: threading.Thread | None = None
    try:
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:
            if line.startswith("Listening on"):
                break
        http_url, ws_url, _ = line.split()[2:5]
        stdout = proc.stdout
        drain = threading.Thread(target=lambda: printed.extend(stdout), daemon=True)
        drain.start()
        result = subprocess.run(
            [node_bin, "check.mjs", "--http", http_url, "--ws", ws_url, "--ipc", str(ipc)],
            cwd=INTEROP,
            capture_output=True,
            text=True,
            timeout=240,
        )
        failures = [row for row in result.stdout.splitlines() if row.startswith("FAIL")]
        assert failures == [], result.stdout + result.stderr
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"PASSED: {CHECKS} ok, 0 failed" in result.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if drain is not None:
            drain.join(timeout=10)
    logged = {row.strip() for row in printed}
    assert {"anvil_setBalance", "evm_setIntervalMining", "anvil_impersonateAccount"} <= logged
    assert {"evm_snapshot", "evm_revert", "anvil_mine", "eth_sendTransaction"} <= logged
