"""``python -m bench``: mocknode against anvil (and eth-tester in-process), interleaved.

Phases (``bench.phases``): start-up (CLI and embedded, in fresh processes), then the
per-request workloads on long-running peers, 8-connection throughput, mining; then the
chains grow (thousands of transactions, mined up to the late height) and the per-request
workloads run again. Progress goes to stderr; the tables to stdout; the JSON to
``.bench/results/``.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench import readme, report
from bench.growth import GROWTH, run_growth
from bench.growth import table as growth_table
from bench.hol import NAMES as HOL_NAMES
from bench.peers import anvil_version, stop_all
from bench.phases import FULL, QUICK, log, run_main, run_startup
from bench.runner import Results
from bench.suite import SUITE_NAMES, SuiteSettings, baseline_table, run_suite
from bench.suite import summary_rows as suite_summary
from bench.suite import table as suite_table
from bench.workloads import ALL_NAMES, MEMORY_LATE, MEMORY_PEAK, MEMORY_START, THROUGHPUT, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / ".bench" / "results"
ANVIL_NPM = ROOT / ".bench" / "npm" / "node_modules" / "@foundry-rs"


# -- selection -----------------------------------------------------------------------------


def selector(only: str | None) -> Callable[[str], bool]:
    """``--only``: comma-separated, each a glob (with * ? [) or a case-insensitive substring."""
    if not only:
        return lambda name: True
    patterns = [p.strip().lower() for p in only.split(",") if p.strip()]

    def match(name: str) -> bool:
        lowered = name.lower()
        return any(
            fnmatch.fnmatchcase(lowered, p) if any(c in p for c in "*?[") else p in lowered
            for p in patterns
        )

    return match


def find_anvil(explicit: str | None) -> str:
    candidates = [explicit, os.environ.get("BENCH_ANVIL")]
    candidates += [str(p / "bin" / "anvil") for p in sorted(ANVIL_NPM.glob("anvil-*"))]
    candidates.append(shutil.which("anvil"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("bench: anvil not found (scripts/bench installs it into .bench/npm)")


# -- phases ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="mocknode against anvil and eth-tester, interleaved; see bench/README.md",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test, about a minute")
    parser.add_argument(
        "--only", metavar="PATTERN", help="workloads to run: comma-separated substrings or globs"
    )
    parser.add_argument("--rounds", type=int, help="interleaved rounds per workload")
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help="write results here (default .bench/results/<time>.json + latest)",
    )
    parser.add_argument(
        "--compare",
        metavar="PREVIOUS",
        type=Path,
        help="compare with this JSON (default: the previous latest.json)",
    )
    parser.add_argument("--no-late", action="store_true", help="skip the grown-chain phase")
    parser.add_argument(
        "--suite-baseline",
        metavar="TREE",
        type=Path,
        help="also run the suite benchmark on the mocknode of another checkout (its root)",
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="rewrite README.md's performance table from this run",
    )
    parser.add_argument(
        "--readme-from",
        metavar="RESULTS",
        type=Path,
        help="rewrite README.md's performance table from a results JSON, measure nothing",
    )
    parser.add_argument("--anvil", metavar="PATH", help="anvil binary")
    parser.add_argument("--list", action="store_true", help="list workload names and exit")
    return parser.parse_args(argv)


class Interrupted(Exception):
    """SIGTERM or SIGINT: stop measuring, report what was measured."""


@contextlib.contextmanager
def cleanup(workdir: Path) -> Iterator[None]:
    def on_signal(signum: int, _frame: Any) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        print("\n".join([*ALL_NAMES, *HOL_NAMES, *SUITE_NAMES, GROWTH]))
        return 0
    if args.readme_from:
        readme.rewrite(json.loads(args.readme_from.read_text()))
        print(f"rewrote {readme.README}'s performance table from {args.readme_from}")
        return 0
    settings = QUICK if args.quick else FULL
    if args.rounds:
        settings = replace(settings, rounds=args.rounds, suite_runs=args.rounds)
    want = selector(args.only)
    if not any(want(name) for name in [*ALL_NAMES, *HOL_NAMES, *SUITE_NAMES, GROWTH]):
        raise SystemExit(f"bench: --only {args.only!r} matches nothing (see --list)")
    anvil = find_anvil(args.anvil)
    machine = report.machine_info(anvil_version(anvil))
    log(report.format_machine(machine))

    previous_path = args.compare or RESULTS_DIR / "latest.json"
    previous = json.loads(previous_path.read_text()) if previous_path.exists() else None

    results = Results()
    errors: list[str] = []
    extra: dict[str, Any] = {}
    workloads = [w for w in WORKLOADS if want(w.name)]
    need_peers = bool(workloads) or any(
        want(n) for n in (THROUGHPUT, MEMORY_START, MEMORY_LATE, MEMORY_PEAK, *HOL_NAMES)
    )
    late = not args.no_late and (
        any(w.late for w in workloads) or want(THROUGHPUT) or want(MEMORY_LATE)
    )
    workdir = Path(tempfile.mkdtemp(prefix="mocknode-bench-"))
    started = time.monotonic()
    with cleanup(workdir):
        try:
            run_startup(anvil, settings, results, want)
            if need_peers:
                extra = run_main(anvil, workdir, settings, results, want, workloads, late, errors)
            if any(want(name) for name in SUITE_NAMES):
                suite = SuiteSettings(
                    settings.suite_runs,
                    settings.suite_transfers,
                    settings.suite_deploys,
                    settings.suite_controls,
                    baseline=args.suite_baseline.resolve() if args.suite_baseline else None,
                )
                extra["suite"] = run_suite(anvil, workdir, suite, results, want, errors, log)
            if want(GROWTH):
                extra[GROWTH] = run_growth(
                    settings.growth_txs,
                    settings.growth_blocks,
                    settings.growth_rounds,
                    settings.growth_round_cpu_s,
                    log,
                )
        except Exception as exc:  # report what was measured before it (Interrupted too)
            errors.append(f"aborted: {type(exc).__name__}: {exc}")
            log(f"  ! {errors[-1]}")
    machine["loadavg_end"] = report.loadavg()
    machine["wall_s"] = round(time.monotonic() - started, 1)

    print()
    print(report.format_machine(machine))
    if any(name not in SUITE_NAMES for name, _, _ in results.series):
        print()
        print(report.main_table(results))
    if "suite" in extra:
        print()
        print(suite_table(results, extra["suite"]))
        against_baseline = baseline_table(results)
        if against_baseline is not None:
            print()
            print(against_baseline)
    if GROWTH in extra:
        print()
        print(growth_table(extra[GROWTH]))
    if any(s.phase == "late" for s in results.series.values()):
        print()
        print(report.late_table(results, extra.get("late_label", "(late)")))
    print()
    for note in report.growth_notes(extra.get("grown", {})):
        print(note)
    for series in results.series.values():
        if series.info.get("lost_and_resent"):
            print(
                f"{series.peer} lost {series.info['lost_and_resent']} answered transactions in "
                f"{series.workload!r} [{series.phase}] (each sent again; the time counts)"
            )
    for error in errors:
        print(f"error: {error}")

    data = report.to_json(
        results, machine, asdict(settings) | {"only": args.only}, {**extra, "errors": errors}
    )
    data["summary"] += suite_summary(results)
    data = report.sanitize(data)
    paths = (
        [args.json]
        if args.json
        else [RESULTS_DIR / time.strftime("%Y%m%d-%H%M%S.json"), RESULTS_DIR / "latest.json"]
    )
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"\nwrote {', '.join(str(p) for p in paths)} in {machine['wall_s']} s")
    if args.readme:
        readme.rewrite(data)
        print(f"rewrote {readme.README}'s performance table")
    if previous is not None:
        when = previous.get("machine", {}).get("mocknode_commit", "?")
        print(
            f"\ncompared with {previous_path} (mocknode {when}, "
            f"quick={previous.get('settings', {}).get('quick')}):"
        )
        print(report.compare_table(previous, data))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
