"""``mocknode``: the standalone dev server, with anvil's flags and defaults where they exist.

Prints the dev accounts and keys (as anvil does), then exactly one line
``Listening on http://HOST:PORT ws://HOST:PORT ipc:PATH`` with the real port and path,
so scripts and test harnesses can wait for it. SIGINT and SIGTERM stop it cleanly and
remove the IPC socket file.

Fault injection (``docs/faults.md``): ``--faults PLAN`` serves with a TOML or JSON fault
plan's rules from the first connection; ``--seed N`` and ``--persona NAME`` override the
plan's (or set them without a plan, for rules added later over ``mock_addFault``);
``--journal`` records all traffic from the start, for ``mock_journal``. The plan is read
and checked before anything starts: a bad plan is reported as the plan loader words it
(file, rule, field) and the command exits with status 2, as for any other bad argument.
The fault modules are imported only when one of these options is given, so the plain
dev server starts no slower.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from typing import TYPE_CHECKING, Any

import trio

from mocknode.chain.config import ETHER, ChainConfig
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC
from mocknode.io.ipc import IpcPathError
from mocknode.node import Node, NodeConfig, default_ipc_path, open_node, startup_error
from mocknode.persist.errors import StateFileError

if TYPE_CHECKING:
    from mocknode.faults.plan import FaultPlan

EXIT_USAGE = 2  # argparse's status for bad arguments; a bad fault plan is one
_MAX_SEED = 2**64 - 1


def _ether(text: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number of ether: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("balance cannot be negative")
    return int(value * ETHER)


def _positive(text: str) -> int:
    value = int(text, 0)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value <= _MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to {_MAX_SEED}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mocknode",
        description="A mock Ethereum node: one in-memory chain over HTTP, WebSocket and IPC.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8545,
        help="HTTP and WebSocket port; 0 takes a free port (default: %(default)s)",
    )
    ipc = parser.add_mutually_exclusive_group()
    ipc.add_argument(
        "--ipc-path", default=None, help=f"IPC socket path (default: {default_ipc_path()})"
    )
    ipc.add_argument("--no-ipc", action="store_true", help="do not serve IPC")
    parser.add_argument(
        "--chain-id", type=_positive, default=31337, help="chain id (default: %(default)s)"
    )
    parser.add_argument(
        "--accounts", type=_positive, default=10, help="dev accounts (default: %(default)s)"
    )
    parser.add_argument(
        "--balance",
        type=_ether,
        default=10_000 * ETHER,
        help="ether per dev account (default: 10000)",
    )
    parser.add_argument(
        "--mnemonic", default=DEFAULT_MNEMONIC, help="mnemonic for the dev accounts"
    )
    parser.add_argument(
        "--no-fast-paths",
        action="store_true",
        help="parse every request with h11/wsproto (same answers, slower; for debugging)",
    )
    parser.add_argument(
        "--auto-impersonate",
        action="store_true",
        help="eth_sendTransaction from any address, without its key (as anvil's flag)",
    )
    add_state_arguments(parser)
    faults = parser.add_argument_group(
        "fault injection", "fail clients the way real nodes do (see docs/faults.md)"
    )
    faults.add_argument(
        "--faults",
        metavar="PLAN",
        default=None,
        help="a fault plan (.toml or .json): seed, persona, journal cap and rules",
    )
    faults.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="seed of every fault decision (default: the plan's, else 0)",
    )
    faults.add_argument(
        "--persona",
        metavar="NAME",
        default=None,
        help="behave as that provider: geth, infura, alchemy or erigon "
        "(default: the plan's, else none)",
    )
    faults.add_argument(
        "--journal",
        action="store_true",
        help="record every request, response and notification (read it with mock_journal)",
    )
    return parser


class PlanProblem(Exception):
    """A fault plan, seed or persona the node would refuse (already worded for users)."""


def fault_plan(args: argparse.Namespace) -> FaultPlan | None:
    """The plan the node starts with: ``--faults`` read and checked, with ``--seed`` and
    ``--persona`` in place of the plan's; ``None`` when no fault option was given.
    Raises :class:`PlanProblem` with the loader's message."""
    if args.faults is None and args.seed is None and args.persona is None:
        return None
    from mocknode.faults.errors import FaultSpecError
    from mocknode.faults.plan import FaultPlan, load_plan

    try:
        plan = load_plan(args.faults) if args.faults is not None else FaultPlan()
        changes: dict[str, Any] = {}
        if args.seed is not None:
            changes["seed"] = args.seed
        if args.persona is not None:
            changes["persona"] = args.persona
        plan = dataclasses.replace(plan, **changes)
        from mocknode.faults.wiring import check_wired

        for rule in plan.rules:
            check_wired(rule)
    except FaultSpecError as error:
        text = str(error)
        if args.faults is not None and not text.startswith(args.faults):
            text = f"{args.faults}: {text}"
        raise PlanProblem(text) from None
    return plan


def config_from_args(args: argparse.Namespace, plan: FaultPlan | None = None) -> NodeConfig:
    chain = ChainConfig(
        chain_id=args.chain_id,
        accounts=args.accounts,
        balance=args.balance,
        mnemonic=args.mnemonic,
        auto_impersonate=args.auto_impersonate,
    )
    ipc_path = None if args.no_ipc else (args.ipc_path or default_ipc_path())
    config = NodeConfig(
        host=args.host,
        port=args.port,
        ipc_path=ipc_path,
        chain=chain,
        fast_paths=not args.no_fast_paths,
        faults=plan,
        journal=args.journal,
    )
    return apply_state_arguments(args, config)


# -- time and state on disk: --virtual-time, --init, --dump-state, --load-state, --state,
# --state-interval (docs/state-and-time.md) --------------------------------------------


def _interval_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def add_state_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("time and state on disk")
    group.add_argument(
        "--virtual-time",
        action="store_true",
        help="the chain's clock stands still until mock_advanceTime moves it, mining the "
        "interval blocks that fall due on the way at once",
    )
    group.add_argument(
        "--init",
        metavar="GENESIS",
        help="build block 0 from a geth genesis file (alloc with code, storage, nonce and "
        "balance; config.chainId, timestamp, gasLimit, baseFeePerGas, extraData, coinbase)",
    )
    group.add_argument("--load-state", metavar="PATH", help="start from the chain saved at PATH")
    group.add_argument(
        "--dump-state", metavar="PATH", help="save the chain to PATH when the node stops"
    )
    group.add_argument(
        "--state",
        metavar="PATH",
        help="--load-state PATH if the file exists, and --dump-state PATH",
    )
    group.add_argument(
        "--state-interval",
        metavar="SECONDS",
        type=_interval_seconds,
        help="also save the chain every SECONDS while it runs (with --state or --dump-state)",
    )


def apply_state_arguments(args: argparse.Namespace, config: NodeConfig) -> NodeConfig:
    """``config`` with the time and state flags applied; reads the genesis file (raising
    :class:`StateFileError` or ``OSError`` for one mocknode cannot use)."""
    import os
    from dataclasses import replace

    load, dump = args.load_state, args.dump_state
    if args.state is not None:
        if load is not None or dump is not None:
            raise StateFileError("--state is --load-state and --dump-state at once: give one")
        load = args.state if os.path.exists(args.state) else None
        dump = args.state
    if args.state_interval is not None and dump is None:
        raise StateFileError("--state-interval needs --state or --dump-state")
    chain = config.chain
    if args.init is not None:
        from mocknode.persist.genesis_file import apply_genesis, read_genesis_file

        chain = apply_genesis(chain, read_genesis_file(args.init))
    return replace(
        config,
        chain=chain,
        virtual_time=args.virtual_time,
        load_state=load,
        dump_state=dump,
        state_interval=args.state_interval,
    )


def _banner(node: Node) -> str:
    lines = ["mocknode", "", "Available Accounts", "=================="]
    balance = node.config.chain.balance
    from decimal import Decimal

    ether = Decimal(balance) / ETHER
    for i, account in enumerate(node.chain.accounts):
        lines.append(f"({i}) 0x{account.address.hex()} ({ether:f} ETH)")
    lines += ["", "Private Keys", "=================="]
    for i, account in enumerate(node.chain.accounts):
        lines.append(f"({i}) 0x{account.private_key.hex()}")
    lines += ["", f"Chain ID: {node.config.chain.chain_id}", ""]
    if node.config.faults is not None or node.config.journal:
        lines += [_faults_line(node), ""]
    return "\n".join(lines)


def _faults_line(node: Node) -> str:
    """What the node will do to clients, in one line."""
    faults = node.faults
    count = len(faults.list())
    parts = [f"{count} rule{'s' if count != 1 else ''}", f"seed {faults.seed}"]
    if faults.persona is not None:
        parts.append(f"persona {faults.persona}")
    if faults.recording:
        parts.append("journal on")
    return "Faults: " + ", ".join(parts)


async def _run(config: NodeConfig) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_node(config) as node:
            print(_banner(node), flush=True)
            print(f"Listening on {node.endpoints}", flush=True)
            async for _ in signals:
                break


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        plan = fault_plan(args)
    except PlanProblem as problem:
        print(f"mocknode: bad fault plan: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = config_from_args(args, plan)
    except (StateFileError, OSError) as exc:  # a genesis file, or the state flags
        print(f"mocknode: {exc}", file=sys.stderr)
        return 1
    try:
        trio.run(_run, config)
    except BaseException as exc:
        cause = startup_error(exc)
        if not isinstance(cause, (IpcPathError, OSError, StateFileError)):
            raise
        print(f"mocknode: {cause}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
