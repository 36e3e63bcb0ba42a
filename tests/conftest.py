"""Shared fixtures: one node per test session, served on free ports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mocknode import MockNode, NodeConfig

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# pytester drives the plugin's own tests (tests/plugin); pytest only reads this here.
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    ipc = tmp_path_factory.mktemp("ipc") / "node.ipc"
    with MockNode(NodeConfig(port=0, ipc_path=str(ipc))) as running:
        yield running


@pytest.fixture(scope="session")
def greeter_artifact() -> dict[str, object]:
    return json.loads((FIXTURES / "artifacts" / "Greeter.json").read_text())


@pytest.fixture(scope="session")
def token_artifact() -> dict[str, object]:
    return json.loads((FIXTURES / "artifacts" / "Token.json").read_text())
