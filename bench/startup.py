"""Start-up times: a CLI node from spawn to first answer, and an embedded node in a fresh
interpreter (``bench.probe``: import time, then construction to first answered request).

On a shared machine wall times swing with the load; :func:`cli_ready` also reads the
process's own CPU time at its first answer (``/proc/<pid>/stat``), which the other
processes' load moves far less.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.peers import spawn, stop, wait_http_ready

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Startup:
    wall_s: float  # spawn to the first answered eth_blockNumber
    cpu_s: float | None  # the process's user + system CPU by then (None off Linux)


def cli_ready(argv: Sequence[str], port: int, timeout_s: float = 60.0) -> Startup:
    """Spawn ``argv`` and poll ``eth_blockNumber`` every 2 ms until it answers."""
    start = time.perf_counter()
    proc = spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http_ready(port, proc, timeout_s)
        wall = time.perf_counter() - start
        return Startup(wall, process_cpu_s(proc.pid))
    finally:
        stop(proc)


def cli_ready_s(argv: Sequence[str], port: int, timeout_s: float = 60.0) -> float:
    """Wall time from spawn to the first answered ``eth_blockNumber`` (polled every 2 ms)."""
    return cli_ready(argv, port, timeout_s).wall_s


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process, all its threads (Linux only)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
