"""The README's performance table: a few headline ratios, rewritten from a run's JSON.

``scripts/bench --readme`` rewrites the section of ``README.md`` between
:data:`BEGIN` and :data:`END` after its run; ``scripts/bench --readme-from FILE`` does the
same from a results file already written (``.bench/results/latest.json``), without
measuring. Every figure in the table comes from that one file, so the ratios against
anvil and eth-tester are of the same run; the line under the table names the machine,
its load and the commit. A headline the run did not measure is left out, never carried
over from an older run.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from bench.report import fmt

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = "<!-- bench:begin (scripts/bench --readme rewrites this section) -->"
END = "<!-- bench:end -->"

# (summary workload, phase, what the README calls it), in the table's order.
HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("suite sync, serial: wall time", "early", "a pytest suite of web3.py tests, wall time"),
    ("suite sync, serial: CPU time, every process", "early", "the same, CPU time"),
    ("suite sync, -n 2: wall time", "early", "the same with `-n 2`, wall time"),
    ("suite asyncio, serial: wall time", "early", "its asyncio variant (`async_w3`), wall time"),
    ("suite asyncio, serial: CPU time, every process", "early", "the same, CPU time"),
    (
        "suite asyncio, serial: CPU of the test thread (a floor of the wall time)",
        "early",
        "the same: CPU of the test thread alone, against the peers' wall times",
    ),
    ("start-up: CLI to first answer", "early", "CLI start-up to first answer"),
    ("start-up: embedded, to first answer", "early", "embedded node, construction to first answer"),
    ("eth_blockNumber http", "early", "`eth_blockNumber` over HTTP"),
    ("eth_blockNumber ws", "early", "`eth_blockNumber` over WebSocket"),
    ("eth_blockNumber ipc", "early", "`eth_blockNumber` over IPC"),
    ("eth_getBalance", "early", "`eth_getBalance`"),
    ("ERC20 balanceOf (eth_call)", "early", "ERC20 `balanceOf` through `eth_call`"),
    ("value transfer + receipt", "early", "value transfer + receipt"),
    ("ERC20 transfer + receipt", "early", "ERC20 transfer + receipt"),
    ("snapshot + tx + revert", "early", "snapshot + transaction + revert"),
    ("eth_blockNumber http, 8 connections (req/s)", "early", "8 connections, requests/s"),
)


def _ratio(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2f}x"


def table(data: dict[str, Any]) -> str:
    """The section's text for one run's JSON: the table and the line naming the run.

    A row whose target is a time rather than a ratio (start-up) also names mocknode's
    median, since that is what its target judges."""
    rows = {(r["workload"], r["phase"]): r for r in data.get("summary", [])}
    medians = {
        (s["workload"], s["phase"]): s["median"]
        for s in data.get("series", [])
        if s.get("peer") == "mocknode" and s.get("unit") == "s"
    }
    lines = [
        "| mocknode against (time: lower is better; req/s: higher) | anvil | eth-tester |",
        "|---|---:|---:|",
    ]
    for workload, phase, label in HEADLINES:
        row = rows.get((workload, phase))
        if row is None:
            continue
        vs_anvil, vs_tester = row.get("ratio_vs_anvil"), row.get("ratio_vs_eth_tester")
        if _ratio(vs_anvil) == "-" and _ratio(vs_tester) == "-":
            continue
        median = medians.get((workload, phase))
        if workload.startswith("start-up") and median is not None:
            label = f"{label} (mocknode: {fmt(median, 's')}, target {row.get('target')})"
        lines.append(f"| {label} | {_ratio(vs_anvil)} | {_ratio(vs_tester)} |")
    machine = data.get("machine", {})
    settings = data.get("settings", {})
    suite = data.get("suite") or {}
    when = machine.get("date") or time.strftime("%Y-%m-%d")
    commit = machine.get("mocknode_commit") or "?"
    dirty = " (uncommitted changes)" if machine.get("mocknode_dirty") else ""
    runs = f", suite: {suite['tests']} tests, medians of {suite['runs']} runs" if suite else ""
    lines += [
        "",
        f"Ratios of medians, mocknode / peer, all from one `scripts/bench` run "
        f"({'--quick, ' if settings.get('quick') else ''}only: {settings.get('only') or 'all'}"
        f"{runs}) on {when}: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"Python {machine.get('python', '?')}, {machine.get('anvil', 'anvil ?')}, mocknode "
        f"{commit}{dirty}; load average {machine.get('loadavg_start', '?')} at the start "
        f"and {machine.get('loadavg_end', '?')} at the end (a machine shared with other "
        "work: CPU time is the steadier figure). The full tables: `bench/README.md`.",
    ]
    return "\n".join(lines)


def rewrite(data: dict[str, Any], readme: Path = README) -> None:
    """Replace the README's marked section with the table of ``data``."""
    text = readme.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"bench: {readme} has no {BEGIN!r} ... {END!r} section")
    readme.write_text(text[: start + len(BEGIN)] + "\n" + table(data) + "\n" + text[end:])
