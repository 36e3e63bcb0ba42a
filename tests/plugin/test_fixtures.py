"""The fixtures, the marker and the options, from sync tests."""

from __future__ import annotations

import pytest
from plugin_helpers import INI


def test_enabled_by_installing_it(pytester: pytest.Pytester) -> None:
    """A fresh interpreter, no conftest, no ``-p``: the entry point alone loads the plugin."""
    pytester.makepyfile(
        """
        def test_every_endpoint(mocknode, mocknode_http_url, mocknode_ws_url,
                                mocknode_ipc_path, mocknode_accounts, mocknode_session):
            import json, os, socket, urllib.request

            assert mocknode_http_url == mocknode.http_url
            assert mocknode_ws_url == mocknode.ws_url.replace("ws:", "ws:")
            assert mocknode_ws_url.startswith("ws://127.0.0.1:")
            assert mocknode_ws_url[5:] == mocknode_http_url[7:]
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode()
            request = urllib.request.Request(
                mocknode_http_url, body, {"Content-Type": "application/json"})
            assert json.load(urllib.request.urlopen(request))["result"] == "0x7a69"

            assert len(mocknode_ipc_path) < 100 and os.path.exists(mocknode_ipc_path)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(mocknode_ipc_path)
                sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}')
                assert b'"0x0"' in sock.recv(4096)

            assert len(mocknode_accounts) == 10
            assert mocknode_accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            assert mocknode_accounts[0].private_key.startswith("0xac0974bec39a17e3")
            assert mocknode_session is mocknode  # the default config: the same node
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_fixture_docstrings_in_pytest_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "*fixtures defined from mocknode.pytest_plugin*",
            "mocknode_session [[]session scope[]] -- *",
            "    The session's shared node with the default config; never reset between tests.",
            "mocknode -- *",
            "    The test's node, on a clean chain: whatever the test does is undone after it.",
            "mocknode_http_url -- *",
            "mocknode_ws_url -- *",
            "mocknode_ipc_path -- *",
            "mocknode_accounts -- *",
            "*fixtures defined from mocknode.pytest_plugin.web3_fixtures*",
            "w3 -- *",
            "    web3 ``Web3`` over HTTP to the test's node, on its clean chain.",
        ]
    )
    # Listed by "file:line" as text, so its place beside w3 depends on the line numbers.
    result.stdout.fnmatch_lines(
        [
            "*fixtures defined from mocknode.pytest_plugin.web3_fixtures*",
            "async_w3 -- *",
            "    web3 ``AsyncWeb3`` over WebSocket to the test's node, connected (asyncio tests).",
        ]
    )
    assert "_mocknode_cache" not in result.stdout.str()  # private fixtures stay hidden
    pytester.runpytest("--markers").stdout.fnmatch_lines(["@pytest.mark.mocknode(**config)*"])


def test_marker_config_and_node_sharing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest
        from mocknode import FixedClock

        URLS = {}
        RICH = "0x" + "ab" * 20

        def test_default(w3, mocknode):
            URLS["default"] = mocknode.http_url
            assert w3.eth.chain_id == 31337 and len(w3.eth.accounts) == 10

        @pytest.mark.mocknode(chain_id=5, accounts=2, extra_alloc={RICH: 7}, clock="fixed")
        def test_configured(w3, mocknode_accounts, mocknode):
            URLS["configured"] = mocknode.http_url
            assert w3.eth.chain_id == 5
            assert [a.address for a in mocknode_accounts] == w3.eth.accounts
            assert len(mocknode_accounts) == 2
            assert w3.eth.get_balance(w3.to_checksum_address(RICH)) == 7
            assert w3.eth.get_block(0)["timestamp"] == 1_700_000_000

        # equal config (a FixedClock with the same start and step): the same node
        @pytest.mark.mocknode(chain_id=5, accounts=2, extra_alloc=[(RICH, 7)],
                              clock=FixedClock(1_700_000_000, 1))
        def test_same_config_same_node(mocknode):
            assert mocknode.http_url == URLS["configured"]

        @pytest.mark.mocknode(automine=False, interval=1000)
        class TestMiningMode:
            def test_manual(self, w3, mocknode):
                assert mocknode.http_url not in URLS.values()
                URLS["manual"] = mocknode.http_url
                a, b = w3.eth.accounts[:2]
                w3.eth.send_transaction({"from": a, "to": b, "value": 1})
                assert w3.eth.block_number == 0  # pending until mined
                assert mocknode.with_chain(lambda chain: chain.interval) == 1000
                mocknode.mine()
                assert w3.eth.block_number == 1

            @pytest.mark.mocknode(automine=True)  # the closest marker wins, per key
            def test_closest_marker_wins(self, mocknode):
                assert mocknode.with_chain(lambda c: (c.automine, c.interval)) == (True, 1000)

        def test_default_again(mocknode):
            assert mocknode.http_url == URLS["default"]

        # interval mining is switched on per test, after the snapshot: the node does not
        # mine while it waits between tests, and a different interval shares the node
        @pytest.mark.mocknode(automine=False, interval=0.05)
        @pytest.mark.parametrize("run", [1, 2])
        def test_interval_per_test(mocknode, run):
            assert mocknode.http_url == URLS["manual"]
            assert mocknode.block_number() == 0
            time.sleep(0.3)
            assert mocknode.block_number() >= 2

        @pytest.mark.mocknode(chain_idd=5)
        def test_typo(mocknode):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=8, errors=1)
    result.stdout.fnmatch_lines(
        ["*test_typo*unknown @pytest.mark.mocknode option(s) chain_idd; valid: accounts, *"]
    )


def test_command_line_and_ini_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        INI.format(extra="mocknode_chain_id = 1337\nmocknode_accounts = 4\nmocknode_balance = 2")
    )
    pytester.makepyfile(
        """
        import pytest

        def test_defaults(w3, mocknode_accounts, mocknode_session, mocknode):
            assert w3.eth.chain_id == 1338  # the command line beats the ini file
            assert len(mocknode_accounts) == 4  # from the ini file
            assert w3.eth.get_balance(mocknode_accounts[0].address) == 2 * 10**18
            assert mocknode_session is mocknode
            # --mocknode-fixed-clock: genesis at 1700000000, one second a block
            mocknode.mine(2)
            assert [w3.eth.get_block(n)["timestamp"] for n in range(3)] == [
                1_700_000_000, 1_700_000_001, 1_700_000_002]

        @pytest.mark.mocknode(clock="wall", accounts=1)
        def test_marker_beats_options(w3):
            assert w3.eth.chain_id == 1338 and len(w3.eth.accounts) == 1
            assert w3.eth.get_block(0)["timestamp"] > 1_700_000_000 + 10**7
        """
    )
    result = pytester.runpytest("--mocknode-chain-id", "1338", "--mocknode-fixed-clock")
    result.assert_outcomes(passed=2)


def test_bad_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--mocknode-accounts", "many")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mocknode accounts: expected an integer, got 'many'*"])


def test_web3_fixtures_turn_off_alone(pytester: pytest.Pytester) -> None:
    """The web3 fixtures are a plugin of their own: ``-p no:`` it, and the node stays."""
    pytester.makepyfile(
        """
        def test_node(mocknode):
            assert mocknode.block_number() == 0

        def test_w3(w3):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:mocknode.pytest_plugin.web3_fixtures")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'w3' not found*"])


FIRST_NODE = """
import gc
import sys


def test_first_node(mocknode):
    # Loaded on the test's thread before the node started: no import left for the
    # node's warm-up thread to race the test's own imports with.
    assert "eth.vm.forks" in sys.modules
    assert mocknode.block_number() == 0
    print("frozen objects:", gc.get_freeze_count())
"""


@pytest.mark.parametrize("freeze", [True, False])
def test_first_node_loads_evm_first_and_freezes_gc(pytester: pytest.Pytester, freeze: bool) -> None:
    """py-evm is imported before the first node starts; then the objects alive are frozen
    out of the cyclic collector (``mocknode_gc_freeze``, on by default). A fresh
    interpreter each, since freezing is done once a process."""
    pytester.makepyfile(FIRST_NODE)
    ini = [] if freeze else ["-o", "mocknode_gc_freeze=false"]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *ini)
    result.assert_outcomes(passed=1)
    (line,) = [line for line in result.outlines if "frozen objects:" in line]
    frozen = int(line.split("frozen objects:")[1].split()[0])
    assert frozen > 50_000 if freeze else frozen == 0
