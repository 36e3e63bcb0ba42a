"""Method modules load on first call: the table in ``mocknode.rpc.methods`` matches what
each module registers, a fresh node serves every listed method (its module imported on
the call), and ``rpc_modules`` and unknown-method errors are right before anything loads.

What a fresh interpreter has imported is checked in a subprocess (this process has long
since imported every module); the node there is driven over a real HTTP socket.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mocknode.rpc import methods
from mocknode.rpc.context import Context
from mocknode.rpc.errors import RpcError
from mocknode.rpc.registry import Registry, registry

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "mocknode.rpc.methods."
# Shared helpers of the method modules, not method modules themselves.
HELPERS = {"debug_render", "dev_params"}

NAMESPACES = {
    "anvil": "1.0",
    "debug": "1.0",
    "eth": "1.0",
    "evm": "1.0",
    "hardhat": "1.0",
    "mock": "1.0",
    "net": "1.0",
    "personal": "1.0",
    "rpc": "1.0",
    "tenderly": "1.0",
    "txpool": "1.0",
    "web3": "1.0",
}


def test_table_lists_exactly_what_each_module_registers() -> None:
    methods.load_all()
    registered: dict[str, set[str]] = {}
    for name, spec in registry.methods.items():
        registered.setdefault(spec.func.__module__.removeprefix(PREFIX), set()).add(name)
    assert registered == {module: set(names) for module, names in methods.MODULES.items()}
    files = {p.stem for p in (ROOT / "mocknode/rpc/methods").glob("*.py")} - {"__init__"}
    assert files - HELPERS == set(methods.MODULES)


def fresh(script: str) -> dict[str, object]:
    """Run ``script`` in a fresh interpreter with a node on ``url``; it prints one JSON
    object, returned with the method modules it had loaded by then."""
    prologue = textwrap.dedent(
        """
        import http.client, json, sys
        from mocknode import MockNode, NodeConfig

        node = MockNode(NodeConfig(port=0, ipc_path=None)).start()
        host, port = node.http_url.removeprefix("http://").rstrip("/").split(":")

        def call(method, params=()):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                               "params": list(params)})
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            reply = json.loads(conn.getresponse().read())
            conn.close()
            return reply

        def loaded():
            return sorted(m.removeprefix("mocknode.rpc.methods.") for m in sys.modules
                          if m.startswith("mocknode.rpc.methods."))
        """
    )
    epilogue = "\nnode.close()\nprint(json.dumps(out))\n"
    proc = subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(script) + epilogue],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_cli_import_loads_no_method_module() -> None:
    script = "import json, sys, mocknode.cli\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = [m for m in json.loads(proc.stdout) if m.startswith(PREFIX)]
    assert loaded == []


def test_first_calls_load_only_their_modules() -> None:
    out = fresh(
        """
        out = {"start": loaded()}
        out["blockNumber"] = call("eth_blockNumber")
        out["after_blockNumber"] = loaded()
        out["render_loaded"] = "mocknode.rpc.render" in sys.modules
        out["chainId"] = call("eth_chainId")
        out["balance"] = call("eth_getBalance", ["0x" + "00" * 20, "latest"])
        out["after_balance"] = loaded()
        out["mine"] = call("evm_mine")
        out["after_mine"] = loaded()
        """
    )
    assert out["start"] == []
    assert out["blockNumber"] == {"jsonrpc": "2.0", "id": 1, "result": "0x0"}
    assert out["after_blockNumber"] == ["state"]
    assert out["render_loaded"] is False  # the cheap reads use rpc.scalars
    assert out["chainId"] == {"jsonrpc": "2.0", "id": 1, "result": "0x7a69"}
    assert out["balance"] == {"jsonrpc": "2.0", "id": 1, "result": "0x0"}
    assert out["after_balance"] == ["info", "state"]
    assert out["mine"] == {"jsonrpc": "2.0", "id": 1, "result": "0x0"}
    assert out["after_mine"] == ["dev", "dev_params", "info", "state"]


def test_rpc_modules_and_unknown_methods_before_any_module_loads() -> None:
    out = fresh(
        """
        out = {"unknown": call("eth_noSuchThing"), "bad_ns": call("nope_x")}
        out["after_unknown"] = loaded()
        out["modules"] = call("rpc_modules")
        out["after_modules"] = loaded()
        """
    )
    assert out["unknown"] == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {
            "code": -32601,
            "message": "the method eth_noSuchThing does not exist/is not available",
        },
    }
    assert out["bad_ns"] == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32601, "message": "the method nope_x does not exist/is not available"},
    }
    assert out["after_unknown"] == []
    assert out["modules"] == {"jsonrpc": "2.0", "id": 1, "result": NAMESPACES}
    assert out["after_modules"] == ["modules"]


def test_every_listed_method_is_served_by_a_fresh_node() -> None:
    """No method is unknown to a fresh node on its first call (its module imported by
    that call), whatever else its answer to no parameters is (``eth_subscribe`` over HTTP
    is geth's -32601 "notifications not supported", not an unknown method)."""
    names = sorted(n for names in methods.MODULES.values() for n in names)
    out = fresh(
        f"""
        names = {names!r}
        unknown = "the method {{}} does not exist/is not available"
        out = {{"missing": [n for n in names
                           if call(n).get("error", {{}}).get("message") == unknown.format(n)]}}
        out["loaded"] = loaded()
        """
    )
    assert out["missing"] == []
    assert out["loaded"] == sorted({*methods.MODULES, "dev_params"})


# -- the registry's own rules, on a registry of its own ------------------------------


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module ``lazy_plugin`` that registers ``t_one`` on whatever registry the test
    puts in ``lazy_holder.REG`` before importing it."""
    (tmp_path / "lazy_holder.py").write_text("REG = None\n")
    (tmp_path / "lazy_plugin.py").write_text(
        "import lazy_holder\n@lazy_holder.REG.method('t_one')\ndef one(ctx):\n    return 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_holder", "lazy_plugin"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return "lazy_plugin"


def test_a_deferred_method_imports_its_module_on_first_dispatch(plugin_module: str) -> None:
    import lazy_holder  # type: ignore[import-not-found]

    reg = Registry()
    lazy_holder.REG = reg
    reg.defer(plugin_module, ["t_one"])
    assert reg.names() == {"t_one"}
    assert plugin_module not in sys.modules
    ctx = object.__new__(Context)
    assert reg.dispatch(ctx, "t_one", []) == 1
    assert plugin_module in sys.modules
    with pytest.raises(RpcError) as err:
        reg.dispatch(ctx, "t_two", [])
    assert err.value.code == -32601


def test_a_module_that_misses_a_declared_name_fails_loudly(plugin_module: str) -> None:
    import lazy_holder

    reg = Registry()
    lazy_holder.REG = reg
    reg.defer(plugin_module, ["t_one", "t_two"])
    with pytest.raises(LookupError, match="lazy_plugin does not register t_two"):
        reg.lookup("t_one")


def test_a_name_declared_under_another_module_is_refused(plugin_module: str) -> None:
    import lazy_holder

    reg = Registry()
    lazy_holder.REG = reg
    reg.defer("elsewhere", ["t_one"])
    with pytest.raises(ValueError, match="t_one is declared in elsewhere, not lazy_plugin"):
        __import__(plugin_module)
    with pytest.raises(ValueError, match="t_one registered twice"):
        reg.defer("another", ["t_one"])
