"""``mocknode``: the standalone dev server, with anvil's flags and defaults where they exist.

Prints the dev accounts (checksummed) and keys, the wallet and the chain's settings (as
anvil does), then exactly one line ``Listening on http://HOST:PORT ws://HOST:PORT
ipc:PATH`` with the real port and path, so scripts and test harnesses can wait for it;
then the name of each method as it is served, one per line (anvil's request log).

``--silent`` prints only the ``Listening on`` line (a port-0 node has no other way to
say where it is). ``--json`` prints the banner as one JSON object instead, with anvil's
``--config-out`` keys plus ``chain_id`` and the endpoints (``http``, ``ws``, ``ipc``),
and no ``Listening on`` line; the request log then writes ``{"method": ...}`` lines.
SIGINT and SIGTERM stop the node cleanly and remove the IPC socket file.

Flags follow anvil's spelling (``-p/--port``, ``-a/--accounts``, ``-m/--mnemonic``,
``-b/--block-time``, ``--no-mining``, ``--order``, ``--ipc [PATH]`` ...); the ones
mocknode had before stay (``--ipc-path``, ``--no-ipc``: IPC is served by default here,
where anvil serves it only with ``--ipc``). docs/dev-methods.md maps every anvil flag.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import replace
from typing import Any

import trio

from mocknode.chain.config import ETHER, ChainConfig
from mocknode.chain.limits import CODE_SIZE_LIMIT
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC, DEFAULT_PATH_PREFIX
from mocknode.io.ipc import IpcPathError
from mocknode.node import Node, NodeConfig, default_ipc_path, open_node, startup_error

# The hardforks mocknode runs: py-evm's Prague rules, which are also anvil's "latest".
HARDFORKS = ("prague", "latest")
# --disable-code-size-limit: a limit no contract reaches (anvil uses usize::MAX).
NO_CODE_SIZE_LIMIT = 2**48


def _ether(text: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number of ether: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("balance cannot be negative")
    return int(value * ETHER)


def _integer(text: str, least: int) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}")
    return value


def _positive(text: str) -> int:
    return _integer(text, 1)


def _natural(text: str) -> int:
    return _integer(text, 0)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _hardfork(text: str) -> str:
    name = text.lower()
    if name not in HARDFORKS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not supported: mocknode runs Prague only (py-evm's Prague "
            "rules); use prague or latest"
        )
    return "prague"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mocknode",
        description="A mock Ethereum node: one in-memory chain over HTTP, WebSocket and IPC.",
    )
    server = parser.add_argument_group("server")
    server.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    server.add_argument(
        "-p",
        "--port",
        type=_natural,
        default=8545,
        help="HTTP and WebSocket port; 0 takes a free port (default: %(default)s)",
    )
    ipc = server.add_mutually_exclusive_group()
    ipc.add_argument(
        "--ipc",
        "--ipcpath",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help=f"serve IPC at PATH (anvil's form; default path {default_ipc_path()})",
    )
    ipc.add_argument("--ipc-path", default=None, help="IPC socket path (same as --ipc PATH)")
    ipc.add_argument("--no-ipc", action="store_true", help="do not serve IPC")
    cors = server.add_mutually_exclusive_group()
    cors.add_argument(
        "--allow-origin",
        default="*",
        metavar="ORIGIN",
        help="the CORS origin allowed (default: %(default)s)",
    )
    cors.add_argument("--no-cors", action="store_true", help="send no CORS headers")
    server.add_argument(
        "--no-fast-paths",
        action="store_true",
        help="parse every request with h11/wsproto (same answers, slower; for debugging)",
    )

    accounts = parser.add_argument_group("accounts")
    accounts.add_argument(
        "-a", "--accounts", type=_positive, default=10, help="dev accounts (default: %(default)s)"
    )
    accounts.add_argument(
        "--balance",
        type=_ether,
        default=10_000 * ETHER,
        help="ether per dev account (default: 10000)",
    )
    accounts.add_argument(
        "-m", "--mnemonic", default=DEFAULT_MNEMONIC, help="mnemonic for the dev accounts"
    )
    accounts.add_argument(
        "--auto-impersonate",
        "--auto-unlock",
        action="store_true",
        help="eth_sendTransaction from any address, without its key (as anvil's flag)",
    )

    mining = parser.add_argument_group("mining")
    modes = mining.add_mutually_exclusive_group()
    modes.add_argument(
        "-b",
        "--block-time",
        "--blockTime",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="mine a block every SECONDS (interval mining; no automine)",
    )
    modes.add_argument(
        "--no-mining",
        "--no-mine",
        action="store_true",
        help="neither automine nor interval mining: mine on demand (evm_mine)",
    )
    mining.add_argument(
        "--mixed-mining",
        action="store_true",
        help="with --block-time: also mine each transaction as it arrives",
    )
    mining.add_argument(
        "--order",
        choices=("fees", "fifo"),
        default="fees",
        help="how blocks take pending transactions: highest tip first, or in the order "
        "they arrived (default: %(default)s)",
    )

    env = parser.add_argument_group("chain")
    env.add_argument(
        "--chain-id", type=_positive, default=31337, help="chain id (default: %(default)s)"
    )
    env.add_argument(
        "--gas-limit",
        "--block-gas-limit",
        type=_positive,
        default=30_000_000,
        help="block gas limit (default: %(default)s)",
    )
    env.add_argument(
        "--base-fee",
        "--block-base-fee-per-gas",
        type=_natural,
        default=10**9,
        metavar="WEI",
        help="the genesis block's base fee; later blocks follow EIP-1559 (default: %(default)s)",
    )
    env.add_argument(
        "--gas-price",
        type=_natural,
        default=None,
        metavar="WEI",
        help="what eth_gasPrice answers and legacy transactions pay by default "
        "(default: base fee plus tip)",
    )
    env.add_argument(
        "--timestamp",
        type=_natural,
        default=None,
        metavar="SECONDS",
        help="the genesis block's timestamp; later blocks follow the wall clock from it",
    )
    env.add_argument(
        "--hardfork",
        type=_hardfork,
        default="prague",
        help="prague or latest (the same: mocknode runs Prague only)",
    )
    sizes = env.add_mutually_exclusive_group()
    sizes.add_argument(
        "--code-size-limit",
        type=_positive,
        default=CODE_SIZE_LIMIT,
        metavar="BYTES",
        help="EIP-170's limit on deployed code; initcode may be twice it (default: %(default)s)",
    )
    sizes.add_argument(
        "--disable-code-size-limit", action="store_true", help="no limit on code size"
    )

    output = parser.add_argument_group("output")
    shown = output.add_mutually_exclusive_group()
    shown.add_argument(
        "--silent",
        "-q",
        "--quiet",
        action="store_true",
        help="print only the Listening line: no banner, no request log",
    )
    shown.add_argument(
        "--json",
        action="store_true",
        help="print the banner as one JSON object and the request log as JSON lines",
    )
    return parser


def _ipc_path(args: argparse.Namespace) -> str | None:
    if args.no_ipc:
        return None
    return args.ipc or args.ipc_path or default_ipc_path()


def config_from_args(args: argparse.Namespace) -> NodeConfig:
    code_size_limit = args.code_size_limit
    if args.disable_code_size_limit:
        code_size_limit = NO_CODE_SIZE_LIMIT
    chain = ChainConfig(
        chain_id=args.chain_id,
        accounts=args.accounts,
        balance=args.balance,
        mnemonic=args.mnemonic,
        gas_limit=args.gas_limit,
        base_fee=args.base_fee,
        gas_price=args.gas_price,
        automine=not args.no_mining and (args.block_time is None or args.mixed_mining),
        auto_impersonate=args.auto_impersonate,
        tx_order=args.order,
        code_size_limit=code_size_limit,
    )
    if args.timestamp is not None:
        from mocknode.chain.clock_from import StartedWallClock

        chain = replace(chain, clock=StartedWallClock(args.timestamp))
    config = NodeConfig(
        host=args.host,
        port=args.port,
        ipc_path=_ipc_path(args),
        chain=chain,
        fast_paths=not args.no_fast_paths,
        log_requests=not args.silent,
    )
    origins = () if args.no_cors else (args.allow_origin,)
    return replace(config, http=replace(config.http, cors_origins=origins))


# -- what it prints -------------------------------------------------------------------------


def _details(node: Node) -> dict[str, Any]:
    """The banner's facts, as anvil's ``--config-out`` JSON names them (amounts are
    decimal strings there), plus the chain id and where the node listens."""
    chain = node.chain
    config = chain.config
    endpoints = node.endpoints
    assert endpoints is not None
    return {
        "available_accounts": [checksum_address(a.address) for a in chain.accounts],
        "private_keys": ["0x" + bytes(a.private_key).hex() for a in chain.accounts],
        "wallet": {"derivation_path": DEFAULT_PATH_PREFIX + "/", "mnemonic": config.mnemonic},
        "base_fee": str(config.base_fee),
        "gas_price": str(chain.gas_price()),
        "gas_limit": str(config.gas_limit),
        "genesis_timestamp": str(chain.blocks[0].header.timestamp),
        "chain_id": config.chain_id,
        "http": endpoints.http_url,
        "ws": endpoints.ws_url,
        "ipc": endpoints.ipc_path,
    }


def _banner(details: dict[str, Any], balance: int) -> str:
    from decimal import Decimal

    ether = Decimal(balance) / ETHER
    lines = ["mocknode", "", "Available Accounts", "=================="]
    for i, address in enumerate(details["available_accounts"]):
        lines.append(f"({i}) {address} ({ether:f} ETH)")
    lines += ["", "Private Keys", "=================="]
    for i, key in enumerate(details["private_keys"]):
        lines.append(f"({i}) {key}")
    wallet = details["wallet"]
    lines += [
        "",
        "Wallet",
        "==================",
        f"Mnemonic:          {wallet['mnemonic']}",
        f"Derivation path:   {wallet['derivation_path']}",
        "",
        f"Chain ID: {details['chain_id']}",
        f"Base Fee: {details['base_fee']}",
        f"Gas Limit: {details['gas_limit']}",
        f"Genesis Timestamp: {details['genesis_timestamp']}",
        "",
    ]
    return "\n".join(lines)


def _announce(node: Node, args: argparse.Namespace) -> None:
    details = _details(node)
    if args.json:
        print(json.dumps(details, separators=(",", ":")), flush=True)
        return
    if not args.silent:
        print(_banner(details, node.config.chain.balance), flush=True)
    print(f"Listening on {node.endpoints}", flush=True)


async def _run(config: NodeConfig, args: argparse.Namespace) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_node(config) as node:
            # Nothing is served before the first checkpoint below: these take effect
            # before any request.
            node.request_log.as_json = args.json
            if args.block_time is not None:
                node.chain.set_interval(args.block_time)
            _announce(node, args)
            async for _ in signals:
                break


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.mixed_mining and args.block_time is None:
        parser.error("--mixed-mining needs --block-time")
    config = config_from_args(args)
    try:
        trio.run(_run, config, args)
    except BaseException as exc:
        cause = startup_error(exc)
        if not isinstance(cause, (IpcPathError, OSError)):
            raise
        print(f"mocknode: {cause}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
