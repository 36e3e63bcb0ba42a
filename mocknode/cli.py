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

Fault injection (``docs/faults.md``): ``--faults PLAN`` serves with a TOML or JSON fault
plan's rules from the first connection; ``--seed N`` and ``--persona NAME`` override the
plan's (or set them without a plan, for rules added later over ``mock_addFault``);
``--journal`` records all traffic from the start, for ``mock_journal``. The plan is read
and checked before anything starts: a bad plan is reported as the plan loader words it
(file, rule, field) and the command exits with status 2, as for any other bad argument.
The fault modules are imported only when one of these options is given, so the plain
dev server starts no slower.

Time and state on disk (``docs/state-and-time.md``): ``--virtual-time``, ``--init
GENESIS``, ``--load-state``/``--dump-state``/``--state`` and ``--state-interval``. A
genesis file given with ``--init`` wins over anvil's flags for what it sets (chain id,
gas limit, base fee, coinbase, timestamp): with a timestamp in it, ``--timestamp`` is
ignored. A genesis or state file mocknode cannot use exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import trio

from mocknode.chain.config import ETHER, ChainConfig
from mocknode.chain.limits import CODE_SIZE_LIMIT
from mocknode.chain.logs.query import DEFAULT_FILTER_TIMEOUT
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC, DEFAULT_PATH_PREFIX
from mocknode.gcpause import freeze_after_full_collections, resume_after_start_up
from mocknode.io.ipc import IpcPathError
from mocknode.io.limits import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_QUEUED_BYTES,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
    ConnLimits,
)
from mocknode.node import Node, NodeConfig, default_ipc_path, open_node, startup_error
from mocknode.offload import DEFAULT_EVM_TIMEOUT
from mocknode.persist.errors import StateFileError
from mocknode.rpc.jsonrpc import DEFAULT_BATCH_LIMIT, DEFAULT_BATCH_RESPONSE_LIMIT
from mocknode.rpc.subscriptions import DEFAULT_MAX_SUBSCRIPTIONS
from mocknode.values import replace
from mocknode.wire.events import DEFAULT_MAX_MESSAGE
from mocknode.wire.http import DEFAULT_MAX_BODY, LOCAL_HOSTS, LOCAL_ORIGINS, HttpOptions

if TYPE_CHECKING:
    from mocknode.faults.plan import FaultPlan

EXIT_USAGE = 2  # argparse's status for bad arguments; a bad fault plan is one
_MAX_SEED = 2**64 - 1

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


MAX_BUSY_POLL_US = 5000  # a quiet wait's own bound (mocknode.io._quiet.QUIET_WAIT)
DEFAULT_BUSY_POLL_US = 200


def _busy_poll(text: str) -> int:
    """Microseconds, 0 to MAX_BUSY_POLL_US."""
    value = _integer(text, 0)
    if value > MAX_BUSY_POLL_US:
        raise argparse.ArgumentTypeError(f"at most {MAX_BUSY_POLL_US} microseconds")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str) -> float:
    """geth's duration flags: ``5s``, ``500ms``, ``1m30s`` (Go's units down to ms), or a
    plain number of seconds; 0 turns the limit off."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        parts = re.fullmatch(r"(?:\d+(?:\.\d*)?(?:ms|s|m|h))+", value)
        if parts is None:
            raise argparse.ArgumentTypeError(
                f"not a duration: {text!r} (e.g. 5s, 500ms, 1m30s, or seconds)"
            ) from None
        seconds = sum(
            float(number) * _DURATION_UNITS[unit]
            for number, unit in re.findall(r"(\d+(?:\.\d*)?)(ms|s|m|h)", value)
        )
    if seconds < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return seconds


def _hardfork(text: str) -> str:
    name = text.lower()
    if name not in HARDFORKS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not supported: mocknode runs Prague only (py-evm's Prague "
            "rules); use prague or latest"
        )
    return "prague"


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
    server.add_argument(
        "--no-fast-paths",
        action="store_true",
        help="parse every request with h11/wsproto and answer every read in full, even "
        "one asked again (same answers, slower; for debugging)",
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
        help="the genesis block's timestamp; later blocks follow the wall clock from it "
        "(a genesis file's timestamp, --init, wins)",
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
    env.add_argument(
        "--rpc-gas-cap",
        type=_natural,
        default=50_000_000,
        metavar="GAS",
        help="the most gas eth_call, eth_estimateGas, eth_createAccessList and "
        "eth_simulateV1 may use; a larger figure is clamped (geth's --rpc.gascap; "
        "0: no cap; default: %(default)s)",
    )

    limits = parser.add_argument_group("bounded work")
    limits.add_argument(
        "--rpc-evm-timeout",
        type=_duration,
        default=DEFAULT_EVM_TIMEOUT,
        metavar="DURATION",
        help="stop eth_call, eth_estimateGas and other calls after this long, as geth's "
        "--rpc.evmtimeout (5s, 500ms, or seconds; 0: no limit; default: 5s)",
    )
    limits.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="let Python's full garbage collections walk the whole chain (pauses of up to "
        "seconds on a big chain) instead of only what was made since the last one "
        "(mocknode.gcpause says what that costs)",
    )
    limits.add_argument(
        "--busy-poll",
        type=_busy_poll,
        default=DEFAULT_BUSY_POLL_US,
        metavar="MICROSECONDS",
        help="after each answer, poll the connection this long without blocking before "
        "waiting for its next request: a client that sends again at once is read without "
        "waking an idle CPU, for up to this much CPU per request (0: off; at most "
        f"{MAX_BUSY_POLL_US}; default: %(default)s; mocknode.io._quiet says why)",
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
    add_state_arguments(parser)
    add_access_arguments(parser)
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
        plan = replace(plan, **changes)
        from mocknode.faults.wiring import check_wired

        for rule in plan.rules:
            check_wired(rule)
    except FaultSpecError as error:
        text = str(error)
        if args.faults is not None and not text.startswith(args.faults):
            text = f"{args.faults}: {text}"
        raise PlanProblem(text) from None
    return plan


def _ipc_path(args: argparse.Namespace) -> str | None:
    if args.no_ipc:
        return None
    return args.ipc or args.ipc_path or default_ipc_path()


def config_from_args(args: argparse.Namespace, plan: FaultPlan | None = None) -> NodeConfig:
    """The node's config from the parsed flags; reads a genesis file (--init), raising
    :class:`StateFileError` or ``OSError`` for one mocknode cannot use."""
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
        rpc_gas_cap=args.rpc_gas_cap,
    )
    config = NodeConfig(
        host=args.host,
        port=args.port,
        ipc_path=_ipc_path(args),
        chain=chain,
        fast_paths=not args.no_fast_paths,
        log_requests=not args.silent,
        faults=plan,
        journal=args.journal,
        evm_timeout=args.rpc_evm_timeout or None,
    )
    config = apply_state_arguments(args, config)
    if args.timestamp is not None and config.chain.genesis.timestamp is None:
        # anvil's --timestamp; a genesis file's own timestamp (--init) wins over it.
        from mocknode.chain.clock_from import StartedWallClock

        config = replace(
            config, chain=replace(config.chain, clock=StartedWallClock(args.timestamp))
        )
    return apply_access_arguments(args, config)


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
        "balance; config.chainId, timestamp, gasLimit, baseFeePerGas, extraData, coinbase); "
        "what it sets wins over --chain-id, --gas-limit, --base-fee and --timestamp",
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


# -- access and limits: who may connect, and how much one client may ask or hold
# (docs/limits.md) --------------------------------------------------------------------


def _optional_seconds(text: str) -> float | None:
    """Seconds for a timeout; 0 turns it off."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be 0 (off) or a positive number of seconds")
    return value or None


def add_access_arguments(parser: argparse.ArgumentParser) -> None:
    access = parser.add_argument_group(
        "access and limits",
        "who may call the node, and how much one client may send or hold "
        "(defaults: geth's where geth has one; see docs/limits.md). 0 turns a limit off.",
    )
    cors = access.add_mutually_exclusive_group()
    cors.add_argument(
        "--allow-origin",
        "--http.corsdomain",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="a browser origin allowed by CORS and for WebSocket upgrades, e.g. "
        "http://localhost:3000 (no port: any); repeat for more; * allows any page "
        f"(default: {', '.join(LOCAL_ORIGINS)})",
    )
    cors.add_argument("--no-cors", action="store_true", help="send no CORS headers")
    access.add_argument(
        "--allow-host",
        "--http.vhosts",
        action="append",
        default=None,
        metavar="HOST",
        help="a Host name served over HTTP besides localhost and the --host name (IP "
        "addresses always are); repeat for more; * serves any (others get geth's 403 "
        "invalid host specified)",
    )
    access.add_argument(
        "--max-body-size",
        type=_positive,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="largest HTTP request body; larger gets 413 (default: %(default)s)",
    )
    access.add_argument(
        "--max-header-size",
        type=_positive,
        default=HttpOptions().max_header_bytes,
        metavar="BYTES",
        help="largest HTTP request head; larger gets 431 (default: %(default)s)",
    )
    access.add_argument(
        "--max-message-size",
        type=_positive,
        default=DEFAULT_MAX_MESSAGE,
        metavar="BYTES",
        help="largest WebSocket or IPC message; larger closes the connection "
        "(default: %(default)s)",
    )
    access.add_argument(
        "--batch-request-limit",
        "--rpc.batch-request-limit",
        dest="batch_request_limit",
        type=_natural,
        default=DEFAULT_BATCH_LIMIT,
        metavar="N",
        help="most calls in one JSON-RPC batch (default: %(default)s)",
    )
    access.add_argument(
        "--batch-response-max-size",
        "--rpc.batch-response-max-size",
        dest="batch_response_max_size",
        type=_natural,
        default=DEFAULT_BATCH_RESPONSE_LIMIT,
        metavar="BYTES",
        help="bytes of results in one batch answer; later calls get -32003 (default: %(default)s)",
    )
    access.add_argument(
        "--max-connections",
        type=_natural,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="open connections on all transports; more are refused with 503 (default: %(default)s)",
    )
    access.add_argument(
        "--max-connections-per-address",
        type=_natural,
        default=0,
        metavar="N",
        help="open connections from one IP address (default: no cap of its own)",
    )
    access.add_argument(
        "--read-timeout",
        type=_optional_seconds,
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help="an HTTP request, head and body, must arrive within this (default: 30)",
    )
    access.add_argument(
        "--idle-timeout",
        type=_optional_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="a kept-alive HTTP connection with no request is closed after this (default: 120)",
    )
    access.add_argument(
        "--write-timeout",
        type=_optional_seconds,
        default=DEFAULT_WRITE_TIMEOUT,
        metavar="SECONDS",
        help="a client whose socket takes nothing for this long is closed (default: 10)",
    )
    access.add_argument(
        "--max-send-queue",
        type=_positive,
        default=DEFAULT_MAX_QUEUED_BYTES,
        metavar="BYTES",
        help="bytes of notifications a WebSocket or IPC client may be behind before it "
        "is closed as not reading (default: %(default)s)",
    )
    access.add_argument(
        "--max-subscriptions",
        type=_natural,
        default=DEFAULT_MAX_SUBSCRIPTIONS,
        metavar="N",
        help="live eth_subscribe subscriptions per connection (default: %(default)s)",
    )
    access.add_argument(
        "--filter-timeout",
        type=_optional_seconds,
        default=DEFAULT_FILTER_TIMEOUT,
        metavar="SECONDS",
        help="a polling filter not polled for this long is removed (default: 300)",
    )


def apply_access_arguments(args: argparse.Namespace, config: NodeConfig) -> NodeConfig:
    """``config`` with the access and limit flags applied."""
    ws: tuple[str, ...]
    if args.no_cors:
        cors: tuple[str, ...] = ()
        ws = LOCAL_ORIGINS
    else:
        cors = ws = tuple(o.lower() for o in args.allow_origin or LOCAL_ORIGINS)
    hosts = (*LOCAL_HOSTS, *(h.lower() for h in args.allow_host or ()))
    http = replace(
        config.http,
        cors_origins=cors,
        ws_origins=ws,
        allowed_hosts=hosts,
        max_body=args.max_body_size,
        max_header_bytes=args.max_header_size,
        max_ws_message=args.max_message_size,
    )
    limits = ConnLimits(
        max_queued_bytes=args.max_send_queue,
        write_timeout=args.write_timeout,
        read_timeout=args.read_timeout,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        max_connections_per_address=args.max_connections_per_address,
        busy_poll=args.busy_poll / 1e6,
    )
    return replace(
        config,
        http=http,
        limits=limits,
        batch_limit=args.batch_request_limit,
        batch_response_limit=args.batch_response_max_size,
        filter_timeout=args.filter_timeout,
        max_subscriptions=args.max_subscriptions,
    )


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


# Decimal's default precision: an amount with more significant digits is rounded by it.
_DECIMAL_DIGITS = 28


def ether_text(wei: int) -> str:
    """``wei`` in ether as the banner has always printed it, ``f"{Decimal(wei) / ETHER:f}"``:
    worked out in integers when the exact amount has at most Decimal's 28 significant
    digits (then Decimal's quotient is exact, and prints the same), so a start does not
    load :mod:`decimal` (issue 12); Decimal's own rounding for longer amounts."""
    whole, fraction = divmod(wei, ETHER)
    text = f"{whole}.{fraction:018d}".rstrip("0") if fraction else str(whole)
    if len(text.replace(".", "").lstrip("0")) <= _DECIMAL_DIGITS:
        return text
    from decimal import Decimal

    return f"{Decimal(wei) / ETHER:f}"


def _banner(details: dict[str, Any], balance: int) -> str:
    ether = ether_text(balance)
    lines = ["mocknode", "", "Available Accounts", "=================="]
    for i, address in enumerate(details["available_accounts"]):
        lines.append(f"({i}) {address} ({ether} ETH)")
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
        banner = _banner(details, node.config.chain.balance)
        if node.config.faults is not None or node.config.journal:
            banner += "\n" + _faults_line(node) + "\n"
        print(banner, flush=True)
    print(f"Listening on {node.endpoints}", flush=True)


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


async def _run(config: NodeConfig, args: argparse.Namespace) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_node(config) as node:
            # Nothing is served before the first checkpoint below: these take effect
            # before any request.
            node.request_log.as_json = args.json
            if args.block_time is not None:
                node.chain.set_interval(args.block_time)
            _announce(node, args)
            if args.gc_freeze:
                freeze_after_full_collections()
            resume_after_start_up()  # before any request: mocknode.command paused it
            async for _ in signals:
                break


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.mixed_mining and args.block_time is None:
        parser.error("--mixed-mining needs --block-time")
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
        trio.run(_run, config, args)
    except BaseException as exc:
        cause = startup_error(exc)
        if not isinstance(cause, (IpcPathError, OSError, StateFileError)):
            raise
        print(f"mocknode: {cause}", file=sys.stderr)
        return 1
    return 0


def run() -> NoReturn:
    """The ``mocknode`` command: :func:`main`, then straight out. Once it returns the
    node has stopped (state saved, sockets closed and the IPC file removed); tearing
    the interpreter down after that would free py-evm's objects one by one, ~0.7 s that
    a SIGTERM or Ctrl-C should not wait for (issue 11: stop within a second)."""
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
