"""docs/dev-methods.md against the node: the methods it marks supported are registered
(an alias runs its method's function), those it marks not supported answer -32601 over
JSON-RPC, every dev method the node registers is in the table, and every flag it marks
supported is one ``mocknode`` accepts (and no flag it marks not supported is)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dev_helpers import error
from web3 import HTTPProvider, Web3

from mocknode import MockNode
from mocknode.cli import build_parser
from mocknode.rpc import methods as _methods  # noqa: F401  (registers every method)
from mocknode.rpc.registry import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "dev-methods.md"
ROW = re.compile(r"^\|([^|]*)\|([^|]*)\|([^|]*)\|")
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w.-]*)")


def table(heading: str) -> list[tuple[str, str, str]]:
    """The rows of the table under ``## heading``: (first cell, second, third)."""
    text = DOC.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [ROW.match(line) for line in text.splitlines() if line.startswith("| ")]
    found = [(m.group(1).strip(), m.group(2).strip(), m.group(3).strip()) for m in rows if m]
    return [row for row in found if not set(row[0]) <= {"-", "|", " "}][1:]  # no header


def method_rows() -> dict[str, str]:
    return {cell.strip("`"): status for cell, _, status in table("Methods")}


# geth's namespaces: docs/eth-namespace.md lists these.
STANDARD = ("eth_", "net_", "web3_", "txpool_", "personal_", "rpc_", "debug_")


def dev_names() -> set[str]:
    return {name for name in registry.methods if not name.startswith(STANDARD)}


def test_every_dev_method_the_node_has_is_in_the_table() -> None:
    rows = method_rows()
    listed = {name for name, status in rows.items() if status != "not supported"}
    assert listed == dev_names()


def test_aliases_run_their_methods_function() -> None:
    aliases = 0
    for name, status in method_rows().items():
        target = re.fullmatch(r"alias of `(\w+)`", status)
        if target is None:
            assert status in ("supported", "not supported"), (name, status)
            continue
        aliases += 1
        assert registry.methods[name].func is registry.methods[target.group(1)].func, name
        assert method_rows()[target.group(1)] == "supported"
    assert aliases > 30


def test_methods_marked_not_supported_answer_method_not_found(node: MockNode) -> None:
    w3 = Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))
    missing = [name for name, status in method_rows().items() if status == "not supported"]
    assert "anvil_setRpcUrl" in missing
    for name in missing:
        assert error(w3, name, []) == {
            "code": -32601,
            "message": f"the method {name} does not exist/is not available",
        }


def option_strings() -> set[str]:
    return {flag for action in build_parser()._actions for flag in action.option_strings}


@pytest.mark.parametrize("status", ["supported", "not supported"])
def test_flags_in_the_table_are_accepted_or_not(status: str) -> None:
    accepted = option_strings()
    flags = [
        flag
        for cell, mocknode, _ in table("Flags")
        if mocknode == status
        for flag in FLAG.findall(cell)
    ]
    assert len(flags) > 20
    for flag in flags:
        assert (flag in accepted) is (status == "supported"), flag


def test_every_mocknode_flag_is_in_the_table_or_mocknodes_own() -> None:
    documented = {flag for cell, _, _ in table("Flags") for flag in FLAG.findall(cell)}
    documented |= {"-h", "--help", "--ipc-path", "--no-ipc", "--no-fast-paths"}  # mocknode's
    assert option_strings() <= documented
