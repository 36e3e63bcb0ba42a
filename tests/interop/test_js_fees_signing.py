"""Fees, the pending block and signing as ethers v6 and viem use them, over HTTP and
WebSocket, against a ``mocknode`` process: runs ``interop/fees_signing.mjs`` (26 checks).

Without Node.js or interop/node_modules this test fails and says so, rather than passing
without having run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTEROP = ROOT / "interop"


def test_fees_and_signing_with_ethers_and_viem(tmp_path: Path) -> None:
    node_bin = shutil.which("node")
    if node_bin is None or not (INTEROP / "node_modules" / "viem").is_dir():
        pytest.fail("Node.js and interop/node_modules are required: run scripts/test to set up")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mocknode", "--port", "0", "--ipc-path", str(tmp_path / "n.ipc")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:
            if line.startswith("Listening on"):
                break
        http_url, ws_url = line.split()[2:4]
        result = subprocess.run(
            [node_bin, "fees_signing.mjs", "--http", http_url, "--ws", ws_url],
            cwd=INTEROP,
            capture_output=True,
            text=True,
            timeout=180,
        )
        failures = [row for row in result.stdout.splitlines() if row.startswith("FAIL")]
        assert failures == [], result.stdout + result.stderr
        assert result.returncode == 0, result.stdout + result.stderr
        assert "PASSED: 26 ok, 0 failed" in result.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)
