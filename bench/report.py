"""The printed tables, the JSON file, and the comparison with a previous JSON file."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.hol import NAMES as HOL_NAMES
from bench.runner import Results, Series
from bench.workloads import ALL_NAMES, LATE_TARGET, SPECIAL_TARGETS, WORKLOADS, Target

PEERS = ("anvil", "mocknode", "eth-tester")
FRESH = "mocknode-fresh"  # a new node measured beside the grown ones in the late phase
SCHEMA = 1
_TARGETS: dict[str, Target] = {
    **{w.name: w.target for w in WORKLOADS if w.target is not None},
    **SPECIAL_TARGETS,
}


def target_of(workload: str) -> Target | None:
    return _TARGETS.get(workload)


# -- machine ----------------------------------------------------------------------------


def machine_info(anvil_version: str) -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "anvil": anvil_version,
        "mocknode_commit": _git("rev-parse", "--short", "HEAD"),
        "mocknode_dirty": bool(_git("status", "--porcelain", "--", "mocknode")),
        "loadavg_start": loadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent.parent,
            check=False,
        )
    except OSError:
        return ""
    return out.stdout.strip()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def growth_notes(grown: dict[str, dict[str, Any]]) -> list[str]:
    """One line per peer on how its chain was grown before the late phase."""
    return [
        f"late phase, {peer}: {info['txs']} txs in {info['fill_s']} s "
        f"(block {info['height_after_fill']}), mined to block {info['height']} "
        f"in {info['mine_s']} s"
        for peer, info in grown.items()
    ]


def format_machine(machine: dict[str, Any]) -> str:
    dirty = " (mocknode/ has uncommitted changes)" if machine.get("mocknode_dirty") else ""
    lines = [
        f"machine:  {machine['cpu']}, {machine['cores']} cores, {machine['platform']}",
        f"python:   {machine['python']}   anvil: {machine['anvil']}",
        f"mocknode: {machine['mocknode_commit']}{dirty}",
        f"load avg: {machine['loadavg_start']} at start"
        + (f", {machine['loadavg_end']} at end" if "loadavg_end" in machine else ""),
    ]
    return "\n".join(lines)


# -- formatting ---------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if unit == "req/s":
        return f"{value:,.0f}/s"
    if unit == "B":
        return f"{value / 2**20:.1f} MB"
    if value < 1e-3:
        return f"{value * 1e6:.0f} us"
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def _ratio(num: Series | None, den: Series | None) -> float:
    if num is None or den is None or not num.samples or not den.samples or den.median == 0:
        return math.nan
    return num.median / den.median


def _fmt_ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def text_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return " | ".join(parts).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _verdict(workload: str, ratio: float, mocknode: Series | None) -> tuple[str, str, bool | None]:
    target = target_of(workload)
    if target is None:
        return "", "", None
    value = mocknode.median if target.kind == "abs_max" and mocknode else ratio
    if value is None or math.isnan(value):
        return target.describe(), "?", None
    met = target.met(value)
    return target.describe(), "yes" if met else "NO", met


def summary_rows(results: Results, phase: str = "early") -> list[dict[str, Any]]:
    rows = []
    for name in ALL_NAMES:
        series = {p: results.get(name, p, phase) for p in PEERS}
        if not any(series.values()):
            continue
        ratio = _ratio(series["mocknode"], series["anvil"])
        ratio_et = _ratio(series["mocknode"], series["eth-tester"])
        target, _, met = (
            _verdict(name, ratio, series["mocknode"]) if phase == "early" else ("", "", None)
        )
        row = {
            "workload": name,
            "phase": phase,
            "ratio_vs_anvil": ratio,
            "ratio_vs_eth_tester": ratio_et,
            "target": target,
            "met": met,
        }
        if phase == "late":
            row["grown_vs_fresh"] = _ratio(series["mocknode"], results.get(name, FRESH, phase))
        rows.append(row)
    return rows


def _median(series: Series | None) -> str:
    return fmt(series.median, series.unit) if series else "-"


def _p99(series: Series | None) -> str:
    if series is None or series.unit != "s" or len(series.samples) < 2:
        return "-"
    return fmt(series.p99, series.unit)


def main_table(results: Results) -> str:
    header = [
        "workload",
        "anvil median",
        "p99",
        "mocknode median",
        "p99",
        "ratio",
        "eth-tester median",
        "m/et",
        "target",
        "met?",
    ]
    rows = []
    for name in [*ALL_NAMES, *HOL_NAMES]:
        series = {p: results.get(name, p) for p in PEERS}
        if not any(series.values()):
            continue
        ratio = _ratio(series["mocknode"], series["anvil"])
        target, met, _ = _verdict(name, ratio, series["mocknode"])

        rows.append(
            [
                name,
                _median(series["anvil"]),
                _p99(series["anvil"]),
                _median(series["mocknode"]),
                _p99(series["mocknode"]),
                _fmt_ratio(ratio),
                _median(series["eth-tester"]),
                _fmt_ratio(_ratio(series["mocknode"], series["eth-tester"])),
                target,
                met,
            ]
        )
    return text_table(header, rows, right={1, 2, 3, 4, 5, 6, 7})


def late_table(results: Results, late_label: str) -> str:
    """Each workload again on the grown chains. The verdict is grown/fresh: the grown
    mocknode against a new one (block ~10) measured in the same interleaved rounds, so
    the machine's drift since the early phase cancels out; late/early is shown too."""
    header = ["workload " + late_label]
    for peer in PEERS:
        header += [f"{peer} late", "late/early"]
    header += ["fresh mocknode", "grown/fresh", "ratio late"]
    header += [f"mocknode grown/fresh {LATE_TARGET.describe()}?"]
    rows = []
    for name in ALL_NAMES:
        late = {p: results.get(name, p, "late") for p in PEERS}
        if not any(late.values()):
            continue
        cells = [name]
        drift: dict[str, float] = {}
        for peer in PEERS:
            s = late[peer]
            drift[peer] = _ratio(s, results.get(name, peer, "early"))
            cells += [fmt(s.median, s.unit) if s else "-", _fmt_ratio(drift[peer])]
        fresh = results.get(name, FRESH, "late")
        growth = _ratio(late["mocknode"], fresh)
        shown = growth
        if late["mocknode"] is not None and late["mocknode"].unit == "req/s":
            shown = 1 / growth if growth else math.nan  # throughput: lower is worse
        met = "" if math.isnan(shown) else ("yes" if LATE_TARGET.met(shown) else "NO")
        cells += [fmt(fresh.median, fresh.unit) if fresh else "-", _fmt_ratio(shown)]
        cells += [_fmt_ratio(_ratio(late["mocknode"], late["anvil"])), met]
        rows.append(cells)
    return text_table(header, rows, right=set(range(1, len(header) - 1)))


# -- JSON and comparison ----------------------------------------------------------------------


def to_json(
    results: Results, machine: dict[str, Any], settings: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "machine": machine,
        "settings": settings,
        "series": [s.to_json() for s in results.series.values()],
        "summary": summary_rows(results, "early") + summary_rows(results, "late"),
        **extra,
    }


def compare_table(previous: dict[str, Any], current: dict[str, Any]) -> str:
    """mocknode's medians and its ratio to anvil, previous run vs this one."""

    def index(data: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
        return {(s["workload"], s["phase"], s["peer"]): s for s in data.get("series", [])}

    def ratios(data: dict[str, Any]) -> dict[tuple[str, str], float]:
        return {(r["workload"], r["phase"]): r["ratio_vs_anvil"] for r in data.get("summary", [])}

    before, after = index(previous), index(current)
    r_before, r_after = ratios(previous), ratios(current)
    header = ["workload", "phase", "mocknode before", "now", "change", "ratio before", "now"]
    order = {name: i for i, name in enumerate(ALL_NAMES)}
    rows = []
    for key, now in sorted(after.items(), key=lambda kv: (kv[0][1], order.get(kv[0][0], 99))):
        workload, phase, peer = key
        if peer != "mocknode" or key not in before:
            continue
        old = before[key]
        change = now["median"] / old["median"] - 1 if old["median"] and now["median"] else math.nan
        rows.append(
            [
                workload,
                phase,
                fmt(old["median"], old["unit"]),
                fmt(now["median"], now["unit"]),
                "-" if math.isnan(change) else f"{change:+.0%}",
                _fmt_ratio(r_before.get((workload, phase), math.nan)),
                _fmt_ratio(r_after.get((workload, phase), math.nan)),
            ]
        )
    if not rows:
        return "(nothing in common with the previous run)"
    return text_table(header, rows, right={2, 3, 4, 5, 6})


def sanitize(value: Any) -> Any:
    """NaN to null, recursively (json.dumps would write the non-standard ``NaN``)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    return value
