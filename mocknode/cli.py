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
    return NodeConfig(
        host=args.host,
        port=args.port,
        ipc_path=ipc_path,
        chain=chain,
        fast_paths=not args.no_fast_paths,
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
    config = config_from_args(args)
    try:
        trio.run(_run, config)
    except BaseException as exc:
        cause = startup_error(exc)
        if not isinstance(cause, (IpcPathError, OSError)):
            raise
        print(f"mocknode: {cause}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
