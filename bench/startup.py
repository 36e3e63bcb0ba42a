"""Start-up times: a CLI node from spawn to first answer, and an embedded node in a fresh
interpreter (``bench.probe``: import time, then construction to first answered request)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.peers import spawn, stop, wait_http_ready

ROOT = Path(__file__).resolve().parent.parent


def cli_ready_s(argv: Sequence[str], port: int, timeout_s: float = 60.0) -> float:
    """Wall time from spawn to the first answered ``eth_blockNumber`` (polled every 2 ms)."""
    start = time.perf_counter()
    proc = spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http_ready(port, proc, timeout_s)
        return time.perf_counter() - start
    finally:
        stop(proc)


def embedded_probe(peer: str, timeout_s: float = 120.0) -> dict[str, float]:
    """Run the probe in a fresh interpreter: ``{"import_s": ..., "ready_s": ...}``."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.probe", peer],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"start-up probe for {peer} failed:\n{out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    return result
