"""The package root is the public API: exactly these names, each resolving, none loaded early.

``import mocknode.cli`` and the pytest plugin (which every pytest run in the environment
loads) run ``mocknode/__init__.py`` first, so the root must import nothing until a name is
asked for. What a fresh interpreter has loaded is checked in a subprocess: this process has
long since imported everything.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import mocknode

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = [
    "DEFAULT_MNEMONIC",
    "ETHER",
    "GWEI",
    "ChainConfig",
    "Clock",
    "DevAccount",
    "Endpoints",
    "FixedClock",
    "HttpOptions",
    "MockNode",
    "NodeAccount",
    "NodeConfig",
    "NodeControls",
    "RPCError",
    "TrioMockNode",
    "WallClock",
    "open_mocknode",
]

HEAVY = ("trio", "eth", "web3", "h11", "wsproto", "coincurve", "sha3", "eth_utils")


def loaded_after(statement: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``statement``."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    modules: list[str] = json.loads(proc.stdout)
    return modules


def roots(modules: list[str], among: tuple[str, ...]) -> set[str]:
    return {name.split(".")[0] for name in modules} & set(among)


def test_all_lists_the_public_api() -> None:
    assert mocknode.__all__ == PUBLIC
    assert set(dir(mocknode)) >= set(PUBLIC)


def test_import_mocknode_loads_nothing_else() -> None:
    modules = loaded_after("import mocknode")
    assert roots(modules, HEAVY) == set()
    assert [name for name in modules if name.startswith("mocknode")] == ["mocknode"]


def test_the_pytest_plugin_loads_no_node_trio_or_web3() -> None:
    modules = loaded_after("import mocknode.pytest_plugin.web3_fixtures")
    assert roots(modules, HEAVY) == set()
    assert {name for name in modules if name.startswith("mocknode")} == {
        "mocknode",
        "mocknode.pytest_plugin",
        "mocknode.pytest_plugin.options",
        "mocknode.pytest_plugin.web3_fixtures",
        "mocknode.values",  # the plugin's option types: no dependency of its own
    }


def test_the_cli_and_mocknode_load_neither_py_evm_nor_web3() -> None:
    """py-evm loads in a thread once the node listens; web3 is a test dependency; h11 and
    wsproto load with the first request the fast path hands over (an upgrade, say)."""
    modules = loaded_after("import mocknode.cli\nfrom mocknode import MockNode, NodeConfig")
    assert "trio" in modules
    assert roots(modules, ("eth", "web3", "pytest", "h11", "wsproto")) == set()


def test_every_public_name_resolves_to_its_definition() -> None:
    namespace: dict[str, object] = {}
    exec("from mocknode import *", namespace)
    assert sorted(name for name in namespace if name != "__builtins__") == sorted(PUBLIC)
    for name in PUBLIC:
        value = getattr(mocknode, name)
        home = importlib.import_module(mocknode._HOME[name])
        assert namespace[name] is value
        assert getattr(home, name) is value
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == home.__name__, name  # defined there, not passed on


def test_type_checkers_see_the_same_names_as_the_runtime() -> None:
    """The ``if TYPE_CHECKING:`` imports (what mypy and IDEs read) and the lazy table
    (what runs) name the same object for every public name."""
    tree = ast.parse((ROOT / "mocknode" / "__init__.py").read_text())
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    static = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert static == mocknode._HOME
    assert sorted(static) == sorted(PUBLIC)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'mocknode' has no attribute 'Chain'"):
        _ = mocknode.Chain
    with pytest.raises(ImportError, match="cannot import name 'Node' from 'mocknode'"):
        exec("from mocknode import Node", {})
