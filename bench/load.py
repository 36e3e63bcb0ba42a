"""Throughput with N concurrent HTTP keep-alive connections, one client process each.

Processes (spawned, not forked) so the Python client is not the bottleneck of a GIL.
Each worker connects, sends until a shared ``start_at`` (``time.monotonic`` is the same
clock in every process on Linux), then counts the replies completed before ``stop_at``.
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing as mp
import queue
import time
from multiprocessing.process import BaseProcess
from typing import Any

Job = tuple[str, int, bytes, float, float]  # host, port, body, start_at, stop_at


def _count_replies(job: Job) -> int:
    host, port, body, start_at, stop_at = job
    headers = {"Content-Type": "application/json"}
    conn = http.client.HTTPConnection(host, port, timeout=30)
    count = 0
    try:
        while True:
            conn.request("POST", "/", body, headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            now = time.monotonic()
            if now >= stop_at:
                return count
            if now >= start_at:
                count += 1
    finally:
        conn.close()


def _worker(inbox: Any, outbox: Any) -> None:
    while True:
        job = inbox.get()
        if job is None:
            return
        try:
            outbox.put(_count_replies(job))
        except Exception as exc:  # reported to the parent, which fails the measurement
            outbox.put(f"{type(exc).__name__}: {exc}")


class LoadGenerator:
    """``connections`` worker processes, kept for every measurement; close() stops them."""

    def __init__(self, connections: int) -> None:
        ctx = mp.get_context("spawn")
        self._outbox = ctx.Queue()
        self._inboxes = [ctx.Queue() for _ in range(connections)]
        self._procs: list[BaseProcess] = []
        self._used = False
        for inbox in self._inboxes:
            proc = ctx.Process(target=_worker, args=(inbox, self._outbox), daemon=True)
            proc.start()
            self._procs.append(proc)

    def requests_per_second(
        self, host: str, port: int, body: bytes, warmup_s: float, duration_s: float
    ) -> float:
        # The first start also leaves time for the freshly spawned workers to import.
        start_at = time.monotonic() + warmup_s + (0.0 if self._used else 1.0)
        self._used = True
        stop_at = start_at + duration_s
        for inbox in self._inboxes:
            inbox.put((host, port, body, start_at, stop_at))
        total = 0
        for _ in self._inboxes:
            try:
                got = self._outbox.get(timeout=duration_s + warmup_s + 60)
            except queue.Empty:
                raise RuntimeError("a load worker did not report in time") from None
            if isinstance(got, str):
                raise RuntimeError(f"load worker failed: {got}")
            total += got
        return total / duration_s

    def close(self) -> None:
        for inbox in self._inboxes:
            with contextlib.suppress(Exception):
                inbox.put(None)
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
