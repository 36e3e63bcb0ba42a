"""The generated suite of the ``suite`` benchmark: pytest files written as users write them.

One directory per (backend, variant). The test modules are the same text for every backend;
only ``conftest.py`` differs, and it defines what a user of that backend would write:

- **mocknode**: nothing but the timing hooks. The tests get the plugin's own ``w3`` /
  ``async_w3`` (loaded from its entry point, as for any user who installed mocknode).
- **anvil**: a session fixture that starts anvil (``BENCH_ANVIL``) on a free port and
  stops it at the end, a session ``Web3(HTTPProvider(url))``, and a per-test ``w3`` that
  takes ``evm_snapshot`` before the test and ``evm_revert`` after it (``w3.testing``).
  The asyncio ``async_w3`` connects ``AsyncWeb3(WebSocketProvider(url))`` per test (a
  WebSocket connection lives on the test's own loop) and snapshots/reverts through it.
- **eth-tester**: a session ``Web3(EthereumTesterProvider())`` and the same snapshot/revert
  ``w3``; asyncio: a session ``AsyncEthereumTesterProvider`` and a per-test ``AsyncWeb3``.

Every test starts on a clean chain and checks that it did (the sender's nonce is 0), so a
backend whose reset leaks fails instead of being fast. The timing hooks (in every conftest)
record how long each test's set-up, call and teardown phases take and write them, per
process (xdist worker or not), to ``$BENCH_SUITE_OUT/<worker>.json``, with the CPU time
of the thread that ran the tests; the ``test_control``
tests, which ask for no fixture, are kept apart: their set-up and teardown are what pytest
itself costs per test, so the fixtures' own cost is the difference.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN_ARTIFACT = ROOT / "fixtures" / "artifacts" / "Token.json"

BACKENDS = ("mocknode", "anvil", "eth-tester")
VARIANTS = ("sync", "asyncio")

INI = """\
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
"""

TIMING = '''\
"""Times every test's set-up, call and teardown phases (outermost hook wrappers); the
control tests (no fixture) apart, as the baseline of pytest's own cost per test."""

import json
import os
import time

import pytest

_PHASES = {kind: {"setup": [], "call": [], "teardown": []} for kind in ("test", "control")}


def _timed(phase):
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def hook(item):
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            kind = "control" if item.name.startswith("test_control") else "test"
            _PHASES[kind][phase].append(time.perf_counter() - start)

    return hook


pytest_runtest_setup = _timed("setup")
pytest_runtest_call = _timed("call")
pytest_runtest_teardown = _timed("teardown")


def pytest_sessionfinish(session):
    if not (_PHASES["test"]["setup"] or _PHASES["control"]["setup"]):
        return  # the xdist controller runs no test
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = os.path.join(os.environ["BENCH_SUITE_OUT"], worker + ".json")
    # CPU of the thread that ran the tests (this one), from its start: a lower bound
    # of the wall time, whatever serves the requests.
    with open(out, "w") as file:
        json.dump({**_PHASES, "test_thread_cpu": time.thread_time()}, file)
'''

ANVIL_SYNC = """

import socket
import subprocess

from web3 import HTTPProvider, Web3


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def anvil_url():
    port = _free_port()
    proc = subprocess.Popen(
        [os.environ["BENCH_ANVIL"], "--host", "127.0.0.1", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def session_w3(anvil_url):
    return Web3(HTTPProvider(anvil_url))


@pytest.fixture
def w3(session_w3):
    snapshot = session_w3.testing.snapshot()
    yield session_w3
    session_w3.testing.revert(snapshot)
"""

ANVIL_ASYNC = (
    ANVIL_SYNC
    + """

import pytest_asyncio
from web3 import AsyncWeb3, WebSocketProvider


@pytest_asyncio.fixture
async def async_w3(anvil_url):
    async with AsyncWeb3(WebSocketProvider(anvil_url.replace("http", "ws"))) as aw3:
        snapshot = (await aw3.provider.make_request("evm_snapshot", []))["result"]
        yield aw3
        await aw3.provider.make_request("evm_revert", [snapshot])
"""
)

TESTER_SYNC = """

from web3 import EthereumTesterProvider, Web3


@pytest.fixture(scope="session")
def session_w3():
    return Web3(EthereumTesterProvider())


@pytest.fixture
def w3(session_w3):
    snapshot = session_w3.testing.snapshot()
    yield session_w3
    session_w3.testing.revert(snapshot)
"""

TESTER_ASYNC = """

import pytest_asyncio
from web3 import AsyncWeb3
from web3.providers.eth_tester import AsyncEthereumTesterProvider


@pytest.fixture(scope="session")
def session_async_w3():
    return AsyncWeb3(AsyncEthereumTesterProvider())


@pytest_asyncio.fixture
async def async_w3(session_async_w3):
    provider = session_async_w3.provider
    snapshot = (await provider.make_request("evm_snapshot", []))["result"]
    yield session_async_w3
    await provider.make_request("evm_revert", [snapshot])
"""

CONFTESTS = {
    ("mocknode", "sync"): "",
    ("mocknode", "asyncio"): "",
    ("anvil", "sync"): ANVIL_SYNC,
    ("anvil", "asyncio"): ANVIL_ASYNC,
    ("eth-tester", "sync"): TESTER_SYNC,
    ("eth-tester", "asyncio"): TESTER_ASYNC,
}

SYNC_TESTS = """\
import json
from pathlib import Path

import pytest

TOKEN = json.loads((Path(__file__).parent / "Token.json").read_text())
SUPPLY = 1_000_000 * 10**18


@pytest.mark.parametrize("n", range({controls}))
def test_control(n):
    pass


@pytest.mark.parametrize("n", range({transfers}))
def test_transfer(w3, n):
    alice, bob = w3.eth.accounts[0], w3.eth.accounts[1 + n % 9]
    assert w3.eth.get_transaction_count(alice) == 0  # a clean chain
    before = w3.eth.get_balance(bob)
    amount = w3.to_wei(1, "ether") + n

    tx_hash = w3.eth.send_transaction({{"from": alice, "to": bob, "value": amount}})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)

    assert receipt.status == 1
    assert w3.eth.get_balance(bob) == before + amount
    assert w3.eth.get_transaction_count(alice) == 1


@pytest.mark.parametrize("n", range({deploys}))
def test_token(w3, n):
    owner, alice = w3.eth.accounts[0], w3.eth.accounts[1]
    assert w3.eth.get_transaction_count(owner) == 0  # a clean chain
    Token = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    tx_hash = Token.constructor(f"Token {{n}}", f"TK{{n}}", SUPPLY).transact({{"from": owner}})
    address = w3.eth.wait_for_transaction_receipt(tx_hash).contractAddress
    token = w3.eth.contract(address=address, abi=TOKEN["abi"])

    assert token.functions.name().call() == f"Token {{n}}"
    assert token.functions.symbol().call() == f"TK{{n}}"
    assert token.functions.totalSupply().call() == SUPPLY

    tx_hash = token.functions.transfer(alice, 1000 + n).transact({{"from": owner}})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    logs = token.events.Transfer().get_logs(from_block=receipt.blockNumber)
    assert [(e.args["from"], e.args["to"], e.args["value"]) for e in logs] == [
        (owner, alice, 1000 + n)
    ]
    assert token.functions.balanceOf(alice).call() == 1000 + n
"""

ASYNC_TESTS = """\
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.asyncio

TOKEN = json.loads((Path(__file__).parent / "Token.json").read_text())
SUPPLY = 1_000_000 * 10**18


@pytest.mark.parametrize("n", range({controls}))
async def test_control(n):
    pass


@pytest.mark.parametrize("n", range({transfers}))
async def test_transfer(async_w3, n):
    w3 = async_w3
    accounts = await w3.eth.accounts
    alice, bob = accounts[0], accounts[1 + n % 9]
    assert await w3.eth.get_transaction_count(alice) == 0  # a clean chain
    before = await w3.eth.get_balance(bob)
    amount = w3.to_wei(1, "ether") + n

    tx_hash = await w3.eth.send_transaction({{"from": alice, "to": bob, "value": amount}})
    receipt = await w3.eth.wait_for_transaction_receipt(tx_hash)

    assert receipt.status == 1
    assert await w3.eth.get_balance(bob) == before + amount
    assert await w3.eth.get_transaction_count(alice) == 1


@pytest.mark.parametrize("n", range({deploys}))
async def test_token(async_w3, n):
    w3 = async_w3
    accounts = await w3.eth.accounts
    owner, alice = accounts[0], accounts[1]
    assert await w3.eth.get_transaction_count(owner) == 0  # a clean chain
    Token = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    tx_hash = await Token.constructor(f"Token {{n}}", f"TK{{n}}", SUPPLY).transact(
        {{"from": owner}}
    )
    address = (await w3.eth.wait_for_transaction_receipt(tx_hash)).contractAddress
    token = w3.eth.contract(address=address, abi=TOKEN["abi"])

    assert await token.functions.name().call() == f"Token {{n}}"
    assert await token.functions.symbol().call() == f"TK{{n}}"
    assert await token.functions.totalSupply().call() == SUPPLY

    tx_hash = await token.functions.transfer(alice, 1000 + n).transact({{"from": owner}})
    receipt = await w3.eth.wait_for_transaction_receipt(tx_hash)
    logs = await token.events.Transfer().get_logs(from_block=receipt.blockNumber)
    assert [(e.args["from"], e.args["to"], e.args["value"]) for e in logs] == [
        (owner, alice, 1000 + n)
    ]
    assert await token.functions.balanceOf(alice).call() == 1000 + n
"""


def write_suite(
    directory: Path, backend: str, variant: str, transfers: int, deploys: int, controls: int
) -> Path:
    """Write one backend's suite into ``directory``: ``transfers + deploys`` tests, and
    ``controls`` tests that ask for no fixture (pytest's own cost per test)."""
    directory.mkdir(parents=True, exist_ok=True)
    artifact = json.loads(TOKEN_ARTIFACT.read_text())
    (directory / "Token.json").write_text(
        json.dumps({"abi": artifact["abi"], "bytecode": artifact["bytecode"]})
    )
    (directory / "pytest.ini").write_text(INI)
    (directory / "conftest.py").write_text(TIMING + CONFTESTS[(backend, variant)])
    template = SYNC_TESTS if variant == "sync" else ASYNC_TESTS
    (directory / f"test_{variant}.py").write_text(
        template.format(transfers=transfers, deploys=deploys, controls=controls)
    )
    return directory
