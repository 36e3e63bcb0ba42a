"""The benchmark's phases: start-up, per-request workloads, throughput, growing the chains,
memory. :func:`run_main` runs everything that needs the long-running peers."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import hol, report
from bench.clients import encode
from bench.load import LoadGenerator
from bench.peers import (
    HOST,
    EthTesterPeer,
    Peer,
    ProcessPeer,
    anvil_argv,
    as_int,
    free_port,
    memory,
    mocknode_cli_argv,
    start_anvil,
    start_mocknode,
)
from bench.runner import Results, Thunk, interleave
from bench.startup import cli_ready_s, embedded_probe
from bench.workloads import (
    MEMORY_LATE,
    MEMORY_PEAK,
    MEMORY_START,
    STARTUP_CLI,
    STARTUP_EMBEDDED,
    STARTUP_EMBEDDED_IMPORT,
    THROUGHPUT,
    Ctx,
    Fixtures,
    Workload,
    send_in_blocks,
)


@dataclass(frozen=True)
class Settings:
    quick: bool = False
    rounds: int = 5  # interleaved rounds of each per-request workload
    iter_scale: float = 1.0  # times Workload.iters per round
    budget_scale: float = 1.0  # times Workload.budget_s per round
    warmup: int = 10
    cli_spawns: int = 5
    embedded_probes: int = 3
    load_connections: int = 8
    load_rounds: int = 3
    load_seconds: float = 2.0
    mine_rounds: int = 3
    hol_rounds: int = 2
    log_events: int = 300
    fill_txs: int = 10_000  # transactions sent before the late phase, in batches of 100
    fill_budget_s: float = 150.0
    fill_budget_eth_tester_s: float = 30.0  # in-process and ~10 ms per transaction
    late_height: int = 10_000  # blocks mined up to before the late phase
    mine_budget_s: float = 300.0
    slow_cap_s: float = 2.0  # a peer slower than this per call is measured once
    suite_runs: int = 3  # interleaved runs of each generated pytest suite (bench.suite)
    suite_transfers: int = 150
    suite_deploys: int = 50
    suite_controls: int = 50  # tests with no fixture: pytest's own cost per test
    growth_txs: int = 100_000  # bench.growth: the grown chain's transactions and blocks
    growth_blocks: int = 100_000
    growth_round_cpu_s: float = 0.05  # CPU time of a round of calls, each growth workload
    # Interleaved grown/fresh rounds of each growth workload. Five let a median of a few
    # microseconds swing 0.78x-1.20x between runs on untouched code (issue 12's notes),
    # against a 10% bar; more rounds cost seconds next to the minute the chain takes to grow.
    growth_rounds: int = 21


FULL = Settings()
QUICK = Settings(
    quick=True,
    rounds=2,
    iter_scale=0.15,
    budget_scale=0.2,
    warmup=3,
    cli_spawns=2,
    embedded_probes=1,
    load_rounds=1,
    load_seconds=0.5,
    mine_rounds=1,
    hol_rounds=1,
    log_events=300,
    fill_txs=1_000,
    fill_budget_s=10.0,
    fill_budget_eth_tester_s=2.0,
    late_height=2_000,
    mine_budget_s=40.0,
    suite_runs=1,
    suite_transfers=30,
    suite_deploys=10,
    suite_controls=20,
    growth_txs=5_000,
    growth_blocks=5_000,
    growth_round_cpu_s=0.02,
    growth_rounds=3,
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_startup(
    anvil: str, settings: Settings, results: Results, want: Callable[[str], bool]
) -> None:
    if want(STARTUP_CLI):
        log(f"start-up: CLI, {settings.cli_spawns} spawns each")
        for _ in range(settings.cli_spawns):
            for peer in ("anvil", "mocknode"):
                port = free_port()
                argv = anvil_argv(anvil, port) if peer == "anvil" else mocknode_cli_argv(port)
                results.add(STARTUP_CLI, peer, cli_ready_s(argv, port))
    if want(STARTUP_EMBEDDED) or want(STARTUP_EMBEDDED_IMPORT):
        log(f"start-up: embedded, {settings.embedded_probes} fresh interpreters each")
        for _ in range(settings.embedded_probes):
            for peer in ("mocknode", "eth-tester"):
                probe = embedded_probe(peer)
                results.add(STARTUP_EMBEDDED_IMPORT, peer, probe["import_s"])
                results.add(STARTUP_EMBEDDED, peer, probe["ready_s"])


def _progress(results: Results, name: str, phase: str) -> str:
    parts = []
    for peer in (*report.PEERS, report.FRESH):
        series = results.get(name, peer, phase)
        if series:
            parts.append(
                f"{peer} {report.fmt(series.median, series.unit)} (n={len(series.samples)})"
            )
    return f"  {name:<40} " + "  ".join(parts)


def run_workloads(
    workloads: list[Workload],
    peers: list[Peer],
    fixtures: dict[str, Fixtures],
    settings: Settings,
    results: Results,
    phase: str,
    errors: list[str],
) -> None:
    for workload in workloads:
        rounds = settings.mine_rounds if workload.late is False else settings.rounds
        iters = max(1, round(workload.iters * settings.iter_scale))
        budget = workload.budget_s * settings.budget_scale
        warmup = 0 if workload.late is False else min(settings.warmup, iters)
        ctxs = {}
        for peer in peers:
            if peer.name == "eth-tester" and (
                workload.sockets_only or (settings.quick and not workload.eth_tester_in_quick)
            ):
                continue
            if phase == "late" and was_too_slow(results, workload.name, peer.name):
                log(f"  ({peer.name}: too slow for {workload.name!r} early on; not run again)")
                continue
            transport = workload.transport if peer.name != "eth-tester" else "inproc"
            # Upper bound of thunk calls: the probe, warm-up and every round.
            ctxs[peer.name] = Ctx(
                peer,
                peer.rpc(transport),
                fixtures[peer.name],
                max_calls=1 + warmup + rounds * iters,
            )
        lost_before = {name: ctx.fx.lost for name, ctx in ctxs.items()}
        try:
            ops = {name: named(name, workload.build(ctx)) for name, ctx in ctxs.items()}
            if warmup:
                probe(workload, ops, ctxs, settings, results, phase)
            samples = interleave(ops, rounds, iters, budget, warmup)
        except Exception as exc:
            errors.append(f"{workload.name} [{phase}]: {type(exc).__name__}: {exc}")
            log(f"  ! {errors[-1]}")
            continue
        for peer_name, values in samples.items():
            results.extend(workload.name, peer_name, values, phase=phase)
            lost = ctxs[peer_name].fx.lost - lost_before[peer_name]
            series = results.get(workload.name, peer_name, phase)
            if lost and series is not None:
                series.info["lost_and_resent"] = lost
                log(f"  ({peer_name} lost {lost} answered transactions; sent again, timed)")
        log(_progress(results, workload.name, phase))


def was_too_slow(results: Results, workload: str, peer: str) -> bool:
    """Measured once in the early phase (see :func:`probe`): it only gets slower late."""
    early = results.get(workload, peer, "early")
    return early is not None and early.info.get("measured_once", False) is True


def named(peer: str, op: Thunk) -> Thunk:
    """``op``, its failures naming the peer."""

    def run() -> object:
        try:
            return op()
        except Exception as exc:
            raise RuntimeError(f"{peer}: {type(exc).__name__}: {exc}") from exc

    return run


def probe(
    workload: Workload,
    ops: dict[str, Thunk],
    ctxs: dict[str, Ctx],
    settings: Settings,
    results: Results,
    phase: str,
) -> None:
    """One untimed-for-the-median call per peer: checks the reply; a peer slower than
    ``slow_cap_s`` keeps that one call as its only sample and sits out the rounds."""
    for name, op in list(ops.items()):
        start = time.perf_counter()
        reply = op()
        elapsed = time.perf_counter() - start
        if workload.check is not None:
            workload.check(ctxs[name], reply)
        if elapsed > settings.slow_cap_s:
            results.add(workload.name, name, elapsed, phase=phase).info["measured_once"] = True
            log(f"  ({name}: {elapsed:.1f} s for one call; measured once)")
            del ops[name]


def run_throughput(
    load: LoadGenerator,
    peers: list[ProcessPeer],
    settings: Settings,
    results: Results,
    phase: str,
) -> None:
    body = encode("eth_blockNumber", [])
    for _ in range(settings.load_rounds):
        for peer in peers:
            rps = load.requests_per_second(HOST, peer.port, body, 0.3, settings.load_seconds)
            results.add(THROUGHPUT, peer.name, rps, phase=phase, unit="req/s")
    log(_progress(results, THROUGHPUT, phase))


def grow(peer: Peer, settings: Settings, fill_budget_s: float) -> dict[str, Any]:
    """Send up to ``fill_txs`` transfers (100 a block), then mine up to ``late_height``."""
    rpc = peer.setup
    start = time.monotonic()
    tx = {"from": peer.accounts[4], "to": peer.accounts[5], "value": "0x1", "gas": "0x5208"}
    sent = 0
    while sent < settings.fill_txs and time.monotonic() - start < fill_budget_s:
        sent += send_in_blocks(peer, [tx] * min(100, settings.fill_txs - sent))
    filled = time.monotonic()
    height = as_int(rpc.call("eth_blockNumber", []))
    height_after_fill = height
    while height < settings.late_height and time.monotonic() - filled < settings.mine_budget_s:
        rpc.call(*peer.mine_request(min(500, settings.late_height - height)))
        height = as_int(rpc.call("eth_blockNumber", []))
    return {
        "txs": sent,
        "height_after_fill": height_after_fill,
        "height": height,
        "fill_s": round(filled - start, 2),
        "mine_s": round(time.monotonic() - filled, 2),
    }


def grow_all(peers: list[Peer], settings: Settings) -> dict[str, Any]:
    """Grow every chain at once: socket peers in threads (their nodes do the work),
    eth-tester in this thread with its own, smaller budget."""
    sockets = [p for p in peers if not p.in_process]
    pool = ThreadPoolExecutor(max_workers=max(1, len(sockets)))
    try:
        futures = {p.name: pool.submit(grow, p, settings, settings.fill_budget_s) for p in sockets}
        grown = {
            p.name: grow(p, settings, settings.fill_budget_eth_tester_s)
            for p in peers
            if p.in_process
        }
        for name, future in futures.items():
            try:
                grown[name] = future.result()
            except Exception as exc:
                raise RuntimeError(f"growing {name}'s chain: {type(exc).__name__}: {exc}") from exc
    finally:
        # Not waiting on an interrupt: the threads end once the nodes are stopped.
        pool.shutdown(wait=False, cancel_futures=True)
    return grown


def record_memory(peers: list[ProcessPeer], results: Results, name: str, key: str) -> None:
    for peer in peers:
        peer.check_alive()
        results.add(name, peer.name, memory(peer.pid or 0)[key], unit="B")


def run_main(
    anvil: str,
    workdir: Path,
    settings: Settings,
    results: Results,
    want: Callable[[str], bool],
    workloads: list[Workload],
    late: bool,
    errors: list[str],
) -> dict[str, Any]:
    log("starting anvil and mocknode" + (" and eth-tester" if workloads else ""))
    sockets: list[ProcessPeer] = [start_anvil(anvil, workdir), start_mocknode(workdir)]
    peers: list[Peer] = list(sockets)
    load: LoadGenerator | None = None
    extra: dict[str, Any] = {"peers": {p.name: {"argv": p.argv} for p in sockets}}
    try:
        record_memory(sockets, results, MEMORY_START, "VmRSS")
        if any(not w.sockets_only for w in workloads):
            peers.append(EthTesterPeer())
        fixtures = {p.name: Fixtures(p, log_events=settings.log_events) for p in peers}
        log(f"per-request workloads: {settings.rounds} rounds, interleaved")
        early = [w for w in workloads if w.late]
        run_workloads(early, peers, fixtures, settings, results, "early", errors)
        if want(THROUGHPUT):
            load = LoadGenerator(settings.load_connections)
            run_throughput(load, sockets, settings, results, "early")
        mining = [w for w in workloads if not w.late]
        run_workloads(mining, peers, fixtures, settings, results, "early", errors)
        if late:
            label = f"(after {settings.fill_txs:,} txs, at block {settings.late_height:,}+)"
            extra["late_label"] = label
            log(f"growing the chains {label}")
            extra["grown"] = grow_all(peers, settings)
            for line in report.growth_notes(extra.get("grown", {})):
                log("  " + line)
            record_memory(sockets, results, MEMORY_LATE, "VmRSS")
            # The control for "no slower as the chain grows": a new mocknode at block ~10,
            # measured interleaved with the grown one. Comparing with the early phase
            # alone mixes in how the machine drifted meanwhile (on this 2-core box every
            # peer, anvil too, reads 1.2-1.8x slower right after the growth phase).
            fresh = start_mocknode(workdir, report.FRESH)
            peers.append(fresh)
            fixtures[fresh.name] = Fixtures(fresh, log_events=settings.log_events)
            run_workloads(early, peers, fixtures, settings, results, "late", errors)
            if load is not None:
                run_throughput(load, [*sockets, fresh], settings, results, "late")
        record_memory(sockets, results, MEMORY_PEAK, "VmHWM")
        if any(want(name) for name in hol.NAMES):
            # A node of its own: the heavy requests mine tens of thousands of blocks.
            log("head-of-line blocking: cheap reads while another client's heavy request runs")
            own = start_mocknode(workdir, "mocknode-hol")
            peers.append(own)
            hol.run_hol([own], settings.hol_rounds, results, log, want)
    finally:
        if load is not None:
            load.close()
        for peer in peers:
            peer.close()
    return extra
