"""The node config a test gets: plugin options and ini values, then ``mocknode`` markers.

Resolution order, farthest first: ChainConfig's defaults, the ini file, the command line,
then markers from the module down to the test. Every malformed value is a
:class:`pytest.UsageError` naming where it came from. Kept apart from the fixtures so that
this pure mapping can be read (and changed) without the node lifecycle around it.

The faults a test runs under resolve the same way (:func:`faults_for_test`): the plan of
``--mocknode-faults-plan`` / ``mocknode_faults_plan`` (read once, at start-up), then
``faults`` markers from the module down to the test, each adding its rules after the
ones before it and replacing the seed and persona when it gives them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mocknode import values

if TYPE_CHECKING:
    from mocknode.chain.config import ChainConfig
    from mocknode.faults.plan import FaultPlan
    from mocknode.node import NodeConfig

MARKER = "mocknode"
MARKER_HELP = (
    "mocknode(**config): run the test on a node with this config: any ChainConfig field "
    "(chain_id, accounts, balance, mnemonic, gas_limit, base_fee, priority_fee, coinbase, "
    "extra_alloc, automine, clock) plus interval (seconds between interval-mined blocks). "
    "Tests with equal config share a node."
)
# The marker's keyword for interval mining; the rest are ChainConfig's fields.
_INTERVAL = "interval"
_DEFAULTS = pytest.StashKey["dict[str, Any]"]()
_UNMARKED = pytest.StashKey["NodeSettings"]()  # the settings of tests without a marker

FAULTS_MARKER = "faults"
FAULTS_MARKER_HELP = (
    "faults(*rules_or_plans, seed=N, persona=NAME): run the test under these fault rules "
    "(rule objects as mock_addFault takes them, Rule values, FaultPlans, or .toml/.json "
    "plan paths relative to the test's file), after the mocknode_faults_plan ini plan; "
    "seed and persona replace the plan's. See docs/faults.md."
)
GC_FREEZE_HELP = (
    "move every object alive when the first node has started (modules, py-evm, collected "
    "tests) out of the cyclic garbage collector's reach (gc.freeze), so that each later "
    "full collection, and pytest's five at the session's end, skip them (default true)"
)
_FAULTS_PLAN = pytest.StashKey["FaultPlan | None"]()
_FAULTS_INI = "mocknode_faults_plan"
_FAULTS_HELP = (
    "a fault plan (.toml or .json) every test's node runs under; ini paths are relative "
    "to the ini file (see docs/faults.md)"
)


# -- options ---------------------------------------------------------------------------------

# (option suffix, ini type, metavar, help). Each is --mocknode-<name> on the command line and
# mocknode_<name> in the ini file; the command line wins.
_INT_INI = "int" if pytest.version_tuple >= (8, 4) else "string"
_OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("chain-id", _INT_INI, "N", "chain id of the test nodes (default 31337)"),
    ("accounts", _INT_INI, "N", "number of funded dev accounts (default 10)"),
    ("balance", "string", "ETH", "ETH in each dev account, decimals allowed (default 10000)"),
    ("mnemonic", "string", "WORDS", "BIP-39 mnemonic of the dev accounts (default: test...junk)"),
)


def add_options(parser: pytest.Parser) -> None:
    """The plugin's command-line options and ini values (``pytest_addoption``)."""
    group = parser.getgroup("mocknode", "mocknode test nodes")
    for name, ini_type, metavar, help_text in _OPTIONS:
        ini = "mocknode_" + name.replace("-", "_")
        group.addoption(
            f"--mocknode-{name}", dest=ini, default=None, metavar=metavar, help=help_text
        )
        parser.addini(ini, help_text, type=ini_type, default=None)  # type: ignore[arg-type]
    help_clock = (
        "deterministic block times: genesis at 1700000000, each block 1 s after its parent "
        "(FixedClock) instead of the wall clock, so block hashes repeat from run to run"
    )
    group.addoption(
        "--mocknode-fixed-clock",
        dest="mocknode_fixed_clock",
        action="store_const",
        const=True,
        default=None,
        help=help_clock,
    )
    parser.addini("mocknode_fixed_clock", help_clock, type="bool", default=False)
    parser.addini("mocknode_gc_freeze", GC_FREEZE_HELP, type="bool", default=True)
    group.addoption(
        "--mocknode-faults-plan", dest=_FAULTS_INI, default=None, metavar="PLAN", help=_FAULTS_HELP
    )
    parser.addini(_FAULTS_INI, _FAULTS_HELP, type="string", default=None)  # type: ignore[arg-type]


def configure(config: pytest.Config) -> None:
    """Register the markers and read the options once (``pytest_configure``)."""
    config.addinivalue_line("markers", MARKER_HELP)
    config.addinivalue_line("markers", FAULTS_MARKER_HELP)
    config.stash[_DEFAULTS] = _read_defaults(config)
    config.stash[_FAULTS_PLAN] = _read_faults_plan(config)


def _read_defaults(config: pytest.Config) -> dict[str, Any]:
    """ChainConfig overrides from the command line and the ini file (the command line wins)."""

    def value(name: str) -> Any:
        key = "mocknode_" + name
        given = config.getoption(key)
        return given if given is not None else config.getini(key)

    defaults: dict[str, Any] = {}
    for name, parse in (("chain_id", _positive_int), ("accounts", _positive_int)):
        raw = value(name)
        if raw not in (None, ""):
            defaults[name] = parse(raw, f"mocknode {name}")
    balance = value("balance")
    if balance not in (None, ""):
        defaults["balance"] = _ether(balance)
    mnemonic = value("mnemonic")
    if mnemonic:
        defaults["mnemonic"] = str(mnemonic)
    if value("fixed_clock"):
        defaults["clock"] = "fixed"
    return defaults


def defaults(config: pytest.Config) -> dict[str, Any]:
    """ChainConfig overrides from options and ini values (a copy: callers may add to it)."""
    return config.stash[_DEFAULTS].copy() if _DEFAULTS in config.stash else {}


def _positive_int(raw: object, what: str) -> int:
    try:
        number = int(str(raw))
    except ValueError:
        raise pytest.UsageError(f"{what}: expected an integer, got {raw!r}") from None
    if number < 1:
        raise pytest.UsageError(f"{what}: expected a positive integer, got {number}")
    return number


def _ether(raw: object) -> int:
    try:
        wei = Decimal(str(raw)) * 10**18
    except InvalidOperation:
        raise pytest.UsageError(f"mocknode balance: expected ETH, got {raw!r}") from None
    if wei < 0 or wei != wei.to_integral_value():
        raise pytest.UsageError(f"mocknode balance: not a whole number of wei: {raw!r}")
    return int(wei)


# -- config per test -------------------------------------------------------------------------


@values.dataclass(frozen=True)
class NodeSettings:
    """A test's resolved node config; ``key`` says which tests may share a node.

    ``interval`` is not part of the key: it is switched on for each test after its
    snapshot (and so switched off by the revert), since a shared node mining on a timer
    between tests would hand the next test an arbitrary head.
    """

    chain: ChainConfig
    interval: float | None

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        # Clocks have no value equality; two FixedClocks with the same start and step are
        # the same config, so that equal markers share a node. Cached: asked three times
        # per test (which node, its kept snapshot, keeping it again), and the settings
        # of unmarked tests are one object for the session.
        from mocknode.chain.clock import FixedClock, WallClock

        clock = self.chain.clock
        if type(clock) is WallClock:
            clock_key: tuple[object, ...] = ("wall",)
        elif type(clock) is FixedClock:
            clock_key = ("fixed", clock.start, clock.step)
        else:
            clock_key = ("clock", clock)
        settings = tuple(
            getattr(self.chain, f.name) for f in values.fields(self.chain) if f.name != "clock"
        )
        return (*settings, clock_key)

    def node_config(self, ipc_path: str) -> NodeConfig:
        from mocknode.node import NodeConfig

        return NodeConfig(host="127.0.0.1", port=0, ipc_path=ipc_path, chain=self.chain)


def is_trio_test(item: pytest.Item) -> bool:
    """Whether the test runs in trio, and so gets a node served in its own run.

    The rule pytest-trio itself applies (``trio_mode`` marks every async test at
    collection); without pytest-trio a stray ``trio`` marker means nothing.
    """
    return item.get_closest_marker("trio") is not None and item.config.pluginmanager.hasplugin(
        "trio"
    )


def for_test(item: pytest.Item) -> NodeSettings:
    """Defaults from options, then ``mocknode`` markers from the farthest to the closest.

    Most tests have no marker: their settings (options and ini values alone) are resolved
    once per session and kept, rather than a ``ChainConfig`` rebuilt per test.
    """
    marks = list(item.iter_markers(MARKER))
    if not marks:
        unmarked = item.config.stash.get(_UNMARKED, None)
        if unmarked is None:
            settings = resolve(defaults(item.config), "mocknode options")
            unmarked = item.config.stash[_UNMARKED] = settings
        return unmarked
    options = defaults(item.config)
    for mark in reversed(marks):
        if mark.args:
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.mocknode takes keyword arguments only, "
                f"got {mark.args!r}"
            )
        options.update(mark.kwargs)
    return resolve(options, item.nodeid)


def resolve(options: dict[str, Any], where: str) -> NodeSettings:
    from mocknode.chain.config import ChainConfig

    valid = {f.name for f in values.fields(ChainConfig)} | {_INTERVAL}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise pytest.UsageError(
            f"{where}: unknown @pytest.mark.mocknode option(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    interval = options.pop(_INTERVAL, None)
    if interval is not None:
        interval = float(interval) or None
    try:
        chain_args = {name: _normalise(name, value) for name, value in options.items()}
        chain = ChainConfig(**chain_args)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"{where}: bad mocknode config: {exc}") from exc
    settings = NodeSettings(chain, interval)
    try:
        hash(settings.key)
    except TypeError as exc:
        raise pytest.UsageError(f"{where}: mocknode config must be hashable: {exc}") from exc
    return settings


def _normalise(name: str, value: Any) -> Any:
    """Marker conveniences: hex addresses, a dict for ``extra_alloc``, clock by name."""
    from mocknode.chain.clock import FixedClock, WallClock

    if name == "clock" and isinstance(value, str):
        if value not in ("wall", "fixed"):
            raise ValueError(f"clock must be 'wall', 'fixed' or a Clock, not {value!r}")
        return WallClock() if value == "wall" else FixedClock()
    if name == "coinbase":
        return _address(value)
    if name == "extra_alloc":
        pairs: Iterable[tuple[Any, Any]] = value.items() if isinstance(value, Mapping) else value
        return tuple(sorted((_address(address), int(wei)) for address, wei in pairs))
    return value


def _address(value: str | bytes) -> Any:
    from mocknode.controls import parse_address

    return parse_address(value)


# -- faults per test -------------------------------------------------------------------------


def _read_faults_plan(config: pytest.Config) -> FaultPlan | None:
    """The plan of ``--mocknode-faults-plan`` (relative to the current directory) or of the
    ini value (relative to the ini file), read and checked now: a bad plan stops the run
    before any test, with the loader's message."""
    given = config.getoption(_FAULTS_INI)
    if given:
        path = Path(given)
    else:
        value = config.getini(_FAULTS_INI)
        if not value:
            return None
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        path = base / str(value)
    from mocknode.faults.errors import FaultSpecError
    from mocknode.faults.plan import load_plan

    try:
        return load_plan(path)
    except FaultSpecError as error:
        raise pytest.UsageError(f"mocknode faults plan: {error}") from None


def faults_for_test(item: pytest.Item) -> FaultPlan | None:
    """The plan a test runs under (seed, persona, journal cap, rules): the ini plan, then
    ``faults`` markers from the farthest to the closest; ``None`` when neither exists (the
    test's node is left alone). A bad marker fails the test's setup with the loader's
    message."""
    base = item.config.stash.get(_FAULTS_PLAN, None)
    markers = list(item.iter_markers(FAULTS_MARKER))
    if base is None and not markers:
        return None
    from mocknode.faults.errors import FaultSpecError
    from mocknode.faults.plan import FaultPlan

    plan = base if base is not None else FaultPlan()
    try:
        for mark in reversed(markers):
            plan = _apply_marker(plan, mark, Path(str(item.path)).parent)
    except (FaultSpecError, TypeError) as error:
        problem = str(error)
    else:
        return plan
    # failed outside the except block, so the report is the message alone
    pytest.fail(f"{item.nodeid}: @pytest.mark.faults: {problem}", pytrace=False)


def _apply_marker(plan: FaultPlan, mark: pytest.Mark, here: Path) -> FaultPlan:
    from mocknode.faults.plan import FaultPlan, load_plan
    from mocknode.faults.rules import Rule, parse_rule

    unknown = sorted(set(mark.kwargs) - {"seed", "persona"})
    if unknown:
        raise TypeError(f"unknown keyword(s) {', '.join(unknown)} (it takes seed and persona)")
    rules = list(plan.rules)
    changes: dict[str, Any] = {}
    for index, arg in enumerate(mark.args):
        if isinstance(arg, Rule):
            rules.append(arg)
        elif isinstance(arg, Mapping):
            rules.append(parse_rule(arg, f"args[{index}]"))
        elif isinstance(arg, FaultPlan | str | os.PathLike):
            given = arg if isinstance(arg, FaultPlan) else load_plan(here / os.fspath(arg))
            rules += given.rules
            changes["seed"] = given.seed
            if given.persona is not None:
                changes["persona"] = given.persona
            changes["journal_cap"] = given.journal_cap
        else:
            raise TypeError(
                f"args[{index}]: expected a rule object, a Rule, a FaultPlan or a plan path, "
                f"got {arg!r}"
            )
    changes.update(mark.kwargs)
    return values.replace(plan, rules=tuple(rules), **changes)
