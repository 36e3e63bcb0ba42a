"""``--only growth``: does mocknode stay as fast on a long chain as on a new one?

Issue 12: a chain of 100,000 transactions and 100,000 blocks; memory per transaction and
per block; ``eth_getLogs`` over the whole range with a selective topic costs what it
matches; every per-request workload within 10% of a fresh node.

Runs in a child process (``python -m bench.growth``) so its RSS is the node's alone. The
node is the real :class:`~mocknode.node.Node` answering JSON-RPC bytes through an
:class:`~mocknode.node.RpcSession` (the envelope, the registry, the chain, the rendering:
everything but the sockets, which do not grow with the chain). In-process, so the cost of
a request is CPU time (``time.process_time``), which the other engineers' load on this
shared 2-core machine moves far less than wall-clock time.

Growth: rounds of one block of ``per_block`` transactions (ETH transfers and Token
``transfer`` calls, a few of them to a rare recipient whose address is the selective
topic) followed by empty blocks (``anvil_mine``), until both targets are met. Memory is
measured per kind of step: VmRSS deltas summed over the whole growth, and
``tracemalloc`` (Python allocations, exact) over a sample of rounds at the end.

Then the per-request workloads run on the grown node and on a fresh one built with the
same fixtures (the same old block of ``per_block`` transactions, the same number of rare
logs, the same head block of token transfers), interleaved round by round; the ratio
grown/fresh of the median CPU time per call is flagged past 1.10.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.workloads import (
    TRANSFER_TOPIC,
    address_word,
    balance_of_data,
    token_deploy_data,
    transfer_data,
)

ROOT = Path(__file__).resolve().parent.parent
GROWTH = "growth"  # the workload's name for --only and --list
LIMIT = 1.10  # grown/fresh at most
RARE = "0x000000000000000000000000000000000000dEaD"
COMMON = "0x0000000000000000000000000000000000c0ffee"
RARE_LOGS = 20  # matches of the selective filter, on both nodes
TOKEN_SHARE = 3  # one transaction in TOKEN_SHARE is a token transfer (a log)
HEAD_TRANSFERS = 5  # token transfers in the head block both nodes end with

Op = Callable[[], object]


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Driven:
    """A node and a synchronous ``call(method, *params)`` through its JSON-RPC session."""

    def __init__(self) -> None:
        from mocknode.node import Node, RpcSession

        self.node = Node()
        session = RpcSession(self.node, "http", None)
        self._answer = session.answer
        self.accounts: list[str] = self.call("eth_accounts")
        self.token = ""

    def payload(self, method: str, *params: Any) -> bytes:
        return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()

    def call(self, method: str, *params: Any) -> Any:
        out = self._answer(self.payload(method, *params))
        assert out is not None
        reply = json.loads(out)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def deploy_token(self) -> None:
        tx = {"from": self.accounts[1], "data": token_deploy_data("Token", "TOK", 10**30)}
        tx_hash = self.call("eth_sendTransaction", tx)
        self.call("evm_mine")
        self.token = self.call("eth_getTransactionReceipt", tx_hash)["contractAddress"]

    def send_block(self, count: int, rare: int) -> str:
        """Mine one block of ``count`` transactions, ``rare`` of them token transfers to
        :data:`RARE`; returns the first one's hash."""
        first = ""
        for i in range(count):
            if i < rare or i % TOKEN_SHARE == 0:
                to = RARE if i < rare else COMMON  # the rare recipient: topic 2
                tx = {
                    "from": self.accounts[1],
                    "to": self.token,
                    "data": transfer_data(to, 1),
                    "gas": hex(60_000),
                }
            else:
                tx = {"from": self.accounts[0], "to": COMMON, "value": "0x1", "gas": "0x5208"}
            tx_hash = self.call("eth_sendTransaction", tx)
            first = first or tx_hash
        self.call("evm_mine")
        return str(first)


def setup(
    node: Driven, txs: int, blocks: int, per_block: int, sample: int, rare_logs: int = RARE_LOGS
) -> dict[str, Any]:
    """Deploy the token, grow to ``txs`` / ``blocks`` (both 0 for the fresh node: only the
    fixtures), then the head block. Returns the fixtures and the memory figures."""
    node.call("evm_setAutomine", False)
    node.deploy_token()
    old_tx = node.send_block(per_block, 0)
    old_block = node.call("eth_blockNumber")
    rounds = max(1, txs // per_block) if txs else 0
    # Empty blocks after each round's block, so the head lands on ``blocks``.
    spare = max(0, blocks - int(old_block, 16) - rounds)
    gap = spare // rounds if rounds else 0
    rare_rounds = set(range(0, rounds, max(1, rounds // RARE_LOGS))[:RARE_LOGS])
    mem = {
        "tx_rss": 0,
        "block_rss": 0,
        "tx_py": 0,
        "block_py": 0,
        "sampled_rounds": 0,
        "sampled_blocks": 0,
    }
    tx_count = block_count = 0
    start = time.process_time()
    for r in range(rounds):
        traced = r >= rounds - sample
        if traced and not tracemalloc.is_tracing():
            gc.collect()
            tracemalloc.start()
        before, py_before = rss(), tracemalloc.get_traced_memory()[0]
        node.send_block(per_block, 1 if r in rare_rounds else 0)
        after, py_after = rss(), tracemalloc.get_traced_memory()[0]
        mem["tx_rss"] += after - before
        tx_count += per_block
        empty = gap + (spare - gap * rounds if r == rounds - 1 else 0)
        if empty:
            node.call("anvil_mine", hex(empty))
            block_count += empty
        mem["block_rss"] += rss() - after
        if traced:
            mem["tx_py"] += py_after - py_before
            mem["block_py"] += tracemalloc.get_traced_memory()[0] - py_after
            mem["sampled_rounds"] += 1
            mem["sampled_blocks"] += empty
    tracemalloc.stop()
    grow_cpu = time.process_time() - start
    if rounds:
        rare_made = len(rare_rounds)
    else:  # the fresh node: the same number of rare logs, in one block
        node.send_block(rare_logs, rare_logs)
        rare_made = rare_logs
    node.call("anvil_mine", "0xa")  # the narrow range sees the head block's logs only
    node.send_block(HEAD_TRANSFERS, 0)
    node.call("evm_setAutomine", True)
    head = int(node.call("eth_blockNumber"), 16)
    sampled = mem["sampled_rounds"]
    return {
        "old_tx": old_tx,
        "old_block": old_block,
        "rare_logs": rare_made,
        "height": head,
        "txs": tx_count,
        "empty_blocks": block_count,
        "grow_cpu_s": round(grow_cpu, 1),
        "rss_per_tx": mem["tx_rss"] / tx_count if tx_count else None,
        "rss_per_block": mem["block_rss"] / block_count if block_count else None,
        "py_per_tx": mem["tx_py"] / (sampled * per_block) if sampled else None,
        "py_per_block": mem["block_py"] / mem["sampled_blocks"] if mem["sampled_blocks"] else None,
        "rss_end": rss(),
    }


def requests(node: Driven, fx: dict[str, Any]) -> dict[str, tuple[str, list[Any]]]:
    """Each workload's request: method and params (the transfer sends from its own
    account, so its nonces never meet the fixtures')."""
    head = hex(fx["height"])
    rare_topic = "0x" + address_word(RARE)
    balance_of = {"to": node.token, "data": balance_of_data(node.accounts[1])}
    transfer = {"from": node.accounts[2], "to": COMMON, "value": "0x1", "gas": "0x5208"}
    full = {"fromBlock": "0x0", "toBlock": head, "topics": [TRANSFER_TOPIC, None, rare_topic]}
    narrow = {"fromBlock": hex(fx["height"] - 9), "toBlock": head, "topics": [TRANSFER_TOPIC]}
    return {
        "eth_blockNumber": ("eth_blockNumber", []),
        "eth_getBalance": ("eth_getBalance", [node.accounts[0], "latest"]),
        "eth_call balanceOf": ("eth_call", [balance_of, "latest"]),
        "eth_getTransactionReceipt old": ("eth_getTransactionReceipt", [fx["old_tx"]]),
        "eth_getBlockByNumber old": ("eth_getBlockByNumber", [fx["old_block"], False]),
        "eth_getBlockByNumber latest": ("eth_getBlockByNumber", ["latest", False]),
        "eth_getLogs full range, rare topic": ("eth_getLogs", [full]),
        "eth_getLogs last 10 blocks": ("eth_getLogs", [narrow]),
        "transfer (automine)": ("eth_sendTransaction", [transfer]),
    }


def workloads(node: Driven, fx: dict[str, Any]) -> dict[str, Op]:
    """Each workload's call: pre-encoded request bytes answered by the session."""
    return {
        name: partial(node._answer, node.payload(method, *params))
        for name, (method, params) in requests(node, fx).items()
    }


def check(grown: Driven, fresh: Driven, fx: dict[str, dict[str, Any]]) -> None:
    """Each request succeeds on both nodes, and the logs workloads match as many logs
    on both, at least one: the grown node must not be timed doing less."""
    asked = {"grown": requests(grown, fx["grown"]), "fresh": requests(fresh, fx["fresh"])}
    for name in asked["grown"]:
        if name.startswith("transfer"):
            continue
        replies = [
            n.call(*asked[k][name][:1], *asked[k][name][1])
            for k, n in (("grown", grown), ("fresh", fresh))
        ]
        if name.startswith("eth_getLogs") and (
            len(replies[0]) != len(replies[1]) or not replies[0]
        ):
            raise RuntimeError(f"{name}: {len(replies[0])} logs grown, {len(replies[1])} fresh")


def measure(
    ops: dict[str, dict[str, Op]], rounds: int, round_cpu_s: float
) -> dict[str, dict[str, float]]:
    """Median CPU seconds per call, per workload and node, rounds interleaved (grown
    first in even rounds, fresh first in odd ones). Each round makes as many calls as
    take ``round_cpu_s`` on the fresh node (measured in the warm-up): a round of a few
    microsecond calls is otherwise too short for the clock and the machine's noise."""
    out: dict[str, dict[str, float]] = {}
    for name in ops["grown"]:
        samples: dict[str, list[float]] = {"grown": [], "fresh": []}
        start = time.process_time()
        warm = 0
        while warm < 5 or time.process_time() - start < round_cpu_s / 4:
            ops["grown"][name]()
            ops["fresh"][name]()
            warm += 1
        calls = max(5, round(2 * warm * round_cpu_s / max(1e-6, time.process_time() - start)))
        for r in range(rounds):
            order = ("grown", "fresh") if r % 2 == 0 else ("fresh", "grown")
            for peer in order:
                op = ops[peer][name]
                start = time.process_time()
                for _ in range(calls):
                    op()
                samples[peer].append((time.process_time() - start) / calls)
        out[name] = {peer: statistics.median(values) for peer, values in samples.items()}
    return out


def run(
    txs: int, blocks: int, per_block: int, sample: int, rounds: int, round_cpu_s: float
) -> dict[str, Any]:
    base = rss()
    grown = Driven()
    start_rss = rss()
    fx = {"grown": setup(grown, txs, blocks, per_block, sample)}
    print(f"grown: {json.dumps(fx['grown'])}", file=sys.stderr, flush=True)
    fresh = Driven()
    fx["fresh"] = setup(fresh, 0, 0, per_block, 0, fx["grown"]["rare_logs"])
    ops = {"grown": workloads(grown, fx["grown"]), "fresh": workloads(fresh, fx["fresh"])}
    check(grown, fresh, fx)
    medians = measure(ops, rounds, round_cpu_s)
    return {
        "rss_before_node": base,
        "rss_node_start": start_rss,
        "grown": fx["grown"],
        "fresh": fx["fresh"],
        "medians": medians,
        "ratios": {n: m["grown"] / m["fresh"] for n, m in medians.items()},
    }


def table(data: dict[str, Any]) -> str:
    g = data["grown"]
    lines = [
        f"growth: {g['txs']:,} transactions, {g['empty_blocks']:,} empty blocks, head "
        f"{g['height']:,}, grown in {g['grow_cpu_s']} s CPU",
        f"  memory per transaction: {_kib(g['rss_per_tx'])} RSS, {_kib(g['py_per_tx'])} Python "
        "(tracemalloc, last rounds)",
        f"  memory per empty block: {_kib(g['rss_per_block'])} RSS, "
        f"{_kib(g['py_per_block'])} Python",
        f"  RSS: {data['rss_node_start'] / 2**20:.0f} MiB at start, "
        f"{g['rss_end'] / 2**20:.0f} MiB grown",
        "",
        f"  {'workload (CPU per call, in-process)':<40} {'grown':>10} {'fresh':>10} {'ratio':>7}",
    ]
    for name, m in data["medians"].items():
        ratio = data["ratios"][name]
        flag = "  > 1.10" if ratio > LIMIT else ""
        lines.append(
            f"  {name:<40} {m['grown'] * 1e6:>8.1f}us {m['fresh'] * 1e6:>8.1f}us "
            f"{ratio:>6.2f}x{flag}"
        )
    return "\n".join(lines)


def _kib(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1024:.2f} KiB"


def run_growth(
    txs: int, blocks: int, rounds: int, round_cpu_s: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """The benchmark in a child process (its RSS is the node's); returns its JSON."""
    argv = [sys.executable, "-m", "bench.growth", "--txs", str(txs), "--blocks", str(blocks)]
    argv += ["--rounds", str(rounds), "--round-cpu", str(round_cpu_s), "--json", "-"]
    log(f"growth: {txs:,} transactions and {blocks:,} blocks in a child process")
    done = subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--txs", type=int, default=100_000)
    parser.add_argument("--blocks", type=int, default=100_000)
    parser.add_argument("--per-block", type=int, default=100)
    parser.add_argument("--sample", type=int, default=20, help="rounds traced by tracemalloc")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--round-cpu", type=float, default=0.05, help="CPU seconds a round of calls takes"
    )
    parser.add_argument("--json", metavar="PATH", help="write the results ('-': stdout)")
    args = parser.parse_args(argv)
    data = run(args.txs, args.blocks, args.per_block, args.sample, args.rounds, args.round_cpu)
    if args.json == "-":
        print(json.dumps(data))
        print(table(data), file=sys.stderr)
    else:
        print(table(data))
        if args.json:
            Path(args.json).write_text(json.dumps(data, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
