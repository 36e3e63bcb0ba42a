"""The ``suite`` benchmark: a whole pytest suite of web3.py tests, as a user runs it.

:mod:`bench.suite_files` writes the same tests (sync, and an asyncio variant) for three
backends: mocknode's plugin with its default ``w3`` / ``async_w3``, anvil with a hand-made
snapshot/revert fixture, and web3's eth-tester providers with snapshot/revert. Each suite
runs as ``python -m pytest`` in a fresh subprocess, serially and with ``-n 2``
(pytest-xdist); runs are interleaved across backends (the first backend rotates each
round) and every number is a median over runs.

Three things are measured per run:

- **wall time**: spawn to exit of the pytest process; everything the user waits for
  (interpreter, imports, collection, starting the node, the tests, shutting down);
- **CPU time**: user + system of that process and every process it waited for (xdist
  workers, anvil): less at the mercy of other load on the machine than the wall time, and
  what bounds a run with ``-n 2`` on two cores;
- **fixture overhead per test**: the set-up plus teardown phases of each test, timed by
  the outermost hook wrappers in the generated conftest. Raw, that includes what pytest
  itself costs per test (its own fixtures and hooks, pytest-asyncio's event loop in the
  asyncio variant), the same for every backend; so each suite also holds ``test_control``
  tests that ask for no fixture, and a run's fixture overhead is the median over its tests
  minus the median over its control tests. The raw medians are kept in the JSON too. The
  first test's set-up (which starts the node) and the last one's teardown are in the pool
  but out of the median's reach: they count in the wall time.
- **CPU of the test thread** (serial runs): the CPU time of the thread that ran the
  tests, read by that thread at the end. It cannot exceed the wall time, so for
  mocknode, whose node answers from a thread of that same process, it bounds the wall
  time from below whatever the node costs: the client's share (pytest, pytest-asyncio,
  web3) alone. Set against anvil's wall time it says whether a wall-time target is
  reachable at all with that client in the test process.

A run that fails (any test failing, or pytest exiting non-zero) is an error, not a sample;
after two failures that backend's suite is not run again.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import fmt, text_table
from bench.runner import Results, Series
from bench.suite_files import BACKENDS, VARIANTS, write_suite
from bench.workloads import Target

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 900.0
MAX_FAILURES = 2  # a suite failing this often is not run again (a flake once is reported)
MODES = ("serial", "-n 2")

BASELINE = "mocknode-baseline"  # mocknode from another tree (--suite-baseline), same suite
RATIO_ANVIL = Target("ratio_max", 0.8)
RATIO_ETH_TESTER = Target("ratio_max", 0.9)
FIXTURE_MAX = Target("abs_max", 0.001)


def wall_name(variant: str, mode: str) -> str:
    return f"suite {variant}, {mode}: wall time"


def cpu_name(variant: str, mode: str) -> str:
    return f"suite {variant}, {mode}: CPU time, every process"


def fixture_name(variant: str, mode: str) -> str:
    return f"suite {variant}, {mode}: fixture set-up+teardown per test, past pytest's own"


def thread_name(variant: str) -> str:
    """The test thread's CPU, serial runs only (with workers the bound is per worker)."""
    return f"suite {variant}, serial: CPU of the test thread (a floor of the wall time)"


SUITE_NAMES = [
    *(
        name
        for variant in VARIANTS
        for mode in MODES
        for name in (wall_name(variant, mode), cpu_name(variant, mode), fixture_name(variant, mode))
    ),
    *(thread_name(variant) for variant in VARIANTS),
]


@dataclass(frozen=True)
class SuiteSettings:
    runs: int
    transfers: int
    deploys: int
    controls: int
    workers: int = 2
    baseline: Path | None = None  # another checkout's root, run as BASELINE

    @property
    def backends(self) -> tuple[str, ...]:
        return (*BACKENDS, BASELINE) if self.baseline is not None else BACKENDS

    @property
    def tests(self) -> int:
        return self.transfers + self.deploys + self.controls


@dataclass
class RunResult:
    wall_s: float
    cpu_s: float  # user + system of pytest and every process it waited for (workers, anvil)
    overhead_s: list[float]  # set-up + teardown, per test
    control_s: list[float]  # the same, per control test
    call_s: list[float]
    test_thread_cpu_s: float  # CPU of the thread(s) that ran the tests, summed over processes

    @property
    def net_overhead_s(self) -> float:
        """What the fixtures add to a test, past pytest's own cost (medians)."""
        return statistics.median(self.overhead_s) - statistics.median(self.control_s)


def pytest_argv(backend: str, workers: int) -> list[str]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if backend not in ("mocknode", BASELINE):
        argv += ["-p", "no:mocknode"]  # what a user without mocknode installed runs
    if workers:
        argv += ["-n", str(workers)]
    return argv


def run_once(
    suite_dir: Path,
    out_dir: Path,
    backend: str,
    workers: int,
    anvil: str,
    tests: int,
    root: Path = ROOT,
) -> RunResult:
    """One pytest run in a subprocess (importing mocknode from ``root``): its wall time
    and the per-test phase timings."""
    out_dir.mkdir(parents=True)
    pythonpath = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "BENCH_SUITE_OUT": str(out_dir),
        "BENCH_ANVIL": anvil,
        "PYTHONPATH": pythonpath,
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        pytest_argv(backend, workers),
        cwd=suite_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    passed = re.search(r"(\d+) passed", proc.stdout)
    if proc.returncode != 0 or passed is None or int(passed.group(1)) != tests:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise RuntimeError(f"pytest exited {proc.returncode} in {suite_dir.name}:\n{tail}")
    found: dict[str, list[float]] = {"test": [], "control": [], "call": []}
    thread_cpu = 0.0
    for path in sorted(out_dir.glob("*.json")):
        phases = json.loads(path.read_text())
        thread_cpu += phases["test_thread_cpu"]
        for kind in ("test", "control"):
            pairs = zip(phases[kind]["setup"], phases[kind]["teardown"], strict=True)
            found[kind] += [setup + teardown for setup, teardown in pairs]
        found["call"] += phases["test"]["call"]
    if len(found["test"]) + len(found["control"]) != tests or not found["control"]:
        raise RuntimeError(f"{suite_dir.name}: timings missing for some of {tests} tests")
    return RunResult(wall, cpu, found["test"], found["control"], found["call"], thread_cpu)


def run_suite(
    anvil: str,
    workdir: Path,
    settings: SuiteSettings,
    results: Results,
    want: Callable[[str], bool],
    errors: list[str],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Every wanted (variant, mode) on the three backends, interleaved, ``settings.runs``
    rounds; adds the series to ``results`` and returns what the JSON keeps beside them."""
    tests = settings.tests
    chosen = [
        (variant, mode)
        for variant in VARIANTS
        for mode in MODES
        if want(wall_name(variant, mode))
        or want(fixture_name(variant, mode))
        or (mode == "serial" and want(thread_name(variant)))
    ]
    dirs = {
        (backend, variant): write_suite(
            workdir / "suite" / f"{backend}-{variant}",
            backend,
            variant,
            settings.transfers,
            settings.deploys,
            settings.controls,
        )
        for backend in BACKENDS
        for variant in {v for v, _ in chosen}
    }
    backends = settings.backends
    log(
        f"suite: {settings.transfers} transfers + {settings.deploys} token deploys "
        f"(+ {settings.controls} control tests), {settings.runs} interleaved runs of "
        f"{len(chosen)} variants x {len(backends)} backends"
        + (f" (baseline: mocknode from {settings.baseline})" if settings.baseline else "")
    )
    calls: dict[tuple[str, str, str], list[float]] = {}
    pooled: dict[tuple[str, str, str], tuple[list[float], list[float]]] = {}
    failures: dict[tuple[str, str, str], int] = {}
    for round_ in range(settings.runs):
        for variant, mode in chosen:
            workers = settings.workers if mode != "serial" else 0
            turn = round_ % len(backends)
            line = []
            for backend in backends[turn:] + backends[:turn]:
                key = (variant, mode, backend)
                if failures.get(key, 0) >= MAX_FAILURES:
                    continue
                out = workdir / "suite-out" / f"{backend}-{variant}-{workers}-{round_}"
                same = "mocknode" if backend == BASELINE else backend
                root = settings.baseline if backend == BASELINE and settings.baseline else ROOT
                try:
                    run = run_once(dirs[(same, variant)], out, backend, workers, anvil, tests, root)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    failures[key] = failures.get(key, 0) + 1  # no sample; run again later
                    errors.append(f"suite {variant} {mode} on {backend}: {exc}")
                    log(f"  ! {errors[-1]}")
                    continue
                results.add(wall_name(variant, mode), backend, run.wall_s)
                results.add(cpu_name(variant, mode), backend, run.cpu_s)
                if not workers:
                    results.add(thread_name(variant), backend, run.test_thread_cpu_s)
                fixture = results.add(fixture_name(variant, mode), backend, run.net_overhead_s)
                raw, control = pooled.setdefault(key, ([], []))
                raw += run.overhead_s
                control += run.control_s
                fixture.info.update(
                    raw_median_s=statistics.median(raw), control_median_s=statistics.median(control)
                )
                calls.setdefault(key, []).extend(run.call_s)
                line.append(f"{backend} {run.wall_s:.2f} s")
            log(f"  {variant}, {mode}, run {round_ + 1}: " + ", ".join(line))
    return {
        "tests": settings.transfers + settings.deploys,
        "controls": settings.controls,
        "transfers": settings.transfers,
        "deploys": settings.deploys,
        "runs": settings.runs,
        "workers": settings.workers,
        "baseline": str(settings.baseline) if settings.baseline else None,
        "test_body_median_s": {
            f"{variant}, {mode}, {backend}": statistics.median(values)
            for (variant, mode, backend), values in calls.items()
        },
    }


# -- report ------------------------------------------------------------------------------


def _median(series: Series | None) -> float:
    return series.median if series is not None and series.samples else float("nan")


def summary_rows(results: Results) -> list[dict[str, Any]]:
    """Ratios and verdicts per suite row, in the shape of the report's ``summary``."""
    rows = []
    for name in SUITE_NAMES:
        m, a, e = (_median(results.get(name, peer)) for peer in BACKENDS)
        if math.isnan(m):
            continue
        vs_anvil, vs_tester = m / a, m / e
        met: bool | None
        bound_of = next((v for v in VARIANTS if name == thread_name(v)), None)
        if bound_of is not None:
            # Against the peers' wall times: the wall-time targets' floor (no target).
            a, e = (_median(results.get(wall_name(bound_of, "serial"), p)) for p in BACKENDS[1:])
            vs_anvil, vs_tester = m / a, m / e
            target, met = "floor of the wall time, against the peers' wall times", None
        elif name.endswith("wall time"):
            target = f"{RATIO_ANVIL.describe()} anvil, {RATIO_ETH_TESTER.describe()} eth-tester"
            known = not (math.isnan(vs_anvil) or math.isnan(vs_tester))
            met = RATIO_ANVIL.met(vs_anvil) and RATIO_ETH_TESTER.met(vs_tester) if known else None
        elif "fixture" in name:
            target = FIXTURE_MAX.describe()
            met = FIXTURE_MAX.met(m)
        else:  # CPU time: shown, no target of its own
            target, met = "", None
        rows.append(
            {
                "workload": name,
                "phase": "early",
                "ratio_vs_anvil": vs_anvil,
                "ratio_vs_eth_tester": vs_tester,
                "target": target,
                "met": met,
            }
        )
    return rows


def table(results: Results, info: dict[str, Any]) -> str:
    """The suite's own table: wall times, ratios against both targets, fixture overhead."""
    header = [
        f"suite ({info.get('tests', '?')} tests, medians of {info.get('runs', '?')} runs)",
        "anvil",
        "mocknode",
        "eth-tester",
        "m/anvil",
        f"{RATIO_ANVIL.describe()}?",
        "m/et",
        f"{RATIO_ETH_TESTER.describe()}?",
        "CPU m/anvil",
        "m/et",
        "test thread CPU m / anvil wall",
        "fixtures/test (raw): anvil",
        "mocknode",
        "eth-tester",
        f"{FIXTURE_MAX.describe()}?",
    ]
    rows = []
    for variant in VARIANTS:
        for mode in MODES:
            wall = [_median(results.get(wall_name(variant, mode), p)) for p in BACKENDS]
            cpu = [_median(results.get(cpu_name(variant, mode), p)) for p in BACKENDS]
            fixtures = [results.get(fixture_name(variant, mode), p) for p in BACKENDS]
            fix = [_median(series) for series in fixtures]
            cell = [_fixture_cell(series) for series in fixtures]
            if all(math.isnan(v) for v in wall):
                continue
            m, a, e = wall
            floor = math.nan
            if mode == "serial":
                floor = _median(results.get(thread_name(variant), "mocknode"))
            rows.append(
                [
                    f"{variant}, {mode}",
                    fmt(a, "s"),
                    fmt(m, "s"),
                    fmt(e, "s"),
                    _ratio(m, a),
                    _yes(RATIO_ANVIL, m / a),
                    _ratio(m, e),
                    _yes(RATIO_ETH_TESTER, m / e),
                    _ratio(cpu[0], cpu[1]),
                    _ratio(cpu[0], cpu[2]),
                    _ratio(floor, a),
                    cell[1],
                    cell[0],
                    cell[2],
                    _yes(FIXTURE_MAX, fix[0]),
                ]
            )
    if not rows:
        return "(no suite measured)"
    return text_table(header, rows, right=set(range(1, len(header))))


def baseline_table(results: Results) -> str | None:
    """mocknode against the baseline tree's mocknode, when one was run."""
    rows = []
    for variant in VARIANTS:
        for mode in MODES:
            now, before = (results.get(wall_name(variant, mode), p) for p in ("mocknode", BASELINE))
            fix_now, fix_before = (
                results.get(fixture_name(variant, mode), p) for p in ("mocknode", BASELINE)
            )
            if before is None or now is None:
                continue
            cpu_now, cpu_before = (
                _median(results.get(cpu_name(variant, mode), p)) for p in ("mocknode", BASELINE)
            )
            rows.append(
                [
                    f"{variant}, {mode}",
                    fmt(before.median, "s"),
                    fmt(now.median, "s"),
                    _ratio(now.median, before.median),
                    _ratio(cpu_now, cpu_before),
                    _fixture_cell(fix_before),
                    _fixture_cell(fix_now),
                ]
            )
    if not rows:
        return None
    header = [
        "suite: mocknode",
        "baseline tree",
        "this tree",
        "now/before",
        "CPU now/before",
        "fixtures/test (raw): baseline",
        "this tree",
    ]
    return text_table(header, rows, right=set(range(1, len(header))))


def _fixture_cell(series: Series | None) -> str:
    """The fixtures' own cost per test, and in brackets the raw set-up + teardown."""
    if series is None or not series.samples:
        return "-"
    raw = series.info.get("raw_median_s")
    return fmt(series.median, "s") + (f" ({fmt(raw, 's')})" if raw is not None else "")


def _ratio(num: float, den: float) -> str:
    value = num / den
    return "-" if math.isnan(value) else f"{value:.2f}x"


def _yes(target: Target, value: float) -> str:
    if math.isnan(value):
        return "?"
    return "yes" if target.met(value) else "NO"
