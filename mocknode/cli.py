"""``mocknode``: the standalone dev server, with anvil's flags and defaults where they exist.

Prints the dev accounts and keys (as anvil does), then exactly one line
``Listening on http://HOST:PORT ws://HOST:PORT ipc:PATH`` with the real port and path,
so scripts and test harnesses can wait for it. SIGINT and SIGTERM stop it cleanly and
remove the IPC socket file.
"""

from __future__ import annotations

import argparse
import signal
import sys

import trio

from mocknode.chain.config import ETHER, ChainConfig
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC
from mocknode.io.ipc import IpcPathError
from mocknode.node import Node, NodeConfig, default_ipc_path, open_node, startup_error
from mocknode.persist.errors import StateFileError


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
    return parser


def config_from_args(args: argparse.Namespace) -> NodeConfig:
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
    return "\n".join(lines)


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
        config = config_from_args(args)
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
