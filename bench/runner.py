"""Timing loops and the results they produce.

Each (workload, peer) is warmed up, then timed in rounds interleaved across peers
(A B A B ...), so drift on the machine (other load, CPU frequency) hits every peer alike.
A round stops at ``iters`` samples or once past its time budget, whichever comes first.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Thunk = Callable[[], object]


@dataclass
class Series:
    """All samples of one workload on one peer in one phase; ``unit`` is s, req/s or B."""

    workload: str
    peer: str
    phase: str = "early"
    unit: str = "s"
    samples: list[float] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def p99(self) -> float:
        """Nearest-rank 99th percentile (the maximum below 100 samples)."""
        if not self.samples:
            return math.nan
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "peer": self.peer,
            "phase": self.phase,
            "unit": self.unit,
            "n": len(self.samples),
            "median": self.median,
            "p99": self.p99,
            "min": min(self.samples) if self.samples else math.nan,
            "max": max(self.samples) if self.samples else math.nan,
            **({"info": self.info} if self.info else {}),
        }


class Results:
    def __init__(self) -> None:
        self.series: dict[tuple[str, str, str], Series] = {}

    def get(self, workload: str, peer: str, phase: str = "early") -> Series | None:
        return self.series.get((workload, phase, peer))

    def add(
        self, workload: str, peer: str, value: float, *, phase: str = "early", unit: str = "s"
    ) -> Series:
        series = self.series.setdefault(
            (workload, phase, peer), Series(workload, peer, phase, unit)
        )
        series.samples.append(value)
        return series

    def extend(
        self,
        workload: str,
        peer: str,
        values: list[float],
        *,
        phase: str = "early",
        unit: str = "s",
    ) -> None:
        for value in values:
            self.add(workload, peer, value, phase=phase, unit=unit)


def time_round(op: Thunk, iters: int, budget_s: float) -> list[float]:
    """Up to ``iters`` timed calls; at least one; stops once past ``budget_s``."""
    clock = time.perf_counter_ns
    samples: list[int] = []
    gc.collect()  # not on the clock: with web3 loaded this takes tens of ms
    deadline = clock() + int(budget_s * 1e9)
    for _ in range(max(1, iters)):
        start = clock()
        op()
        end = clock()
        samples.append(end - start)
        if end > deadline:
            break
    return [ns / 1e9 for ns in samples]


def warm_up(op: Thunk, iters: int, budget_s: float) -> None:
    deadline = time.perf_counter() + budget_s
    for _ in range(iters):
        op()
        if time.perf_counter() > deadline:
            break


def interleave(
    ops: dict[str, Thunk],
    rounds: int,
    iters: int,
    budget_s: float,
    warmup: int,
) -> dict[str, list[float]]:
    """Warm every peer up, then rounds A B A B ...: ``{peer: samples}``."""
    for op in ops.values():
        warm_up(op, warmup, max(budget_s / 4, 0.05))
    samples: dict[str, list[float]] = {peer: [] for peer in ops}
    for _ in range(rounds):
        for peer, op in ops.items():
            samples[peer] += time_round(op, iters, budget_s)
    return samples
