"""The pytest plugin's fault controls, as a user's suite meets them (``pytester``): the
``faults`` fixture and the ``faults`` marker in sync, asyncio and trio tests, the
``mocknode_faults_plan`` ini option, isolation between tests, and replay under xdist."""

from __future__ import annotations

import json

import pytest
import trio  # noqa: F401  (imported once here, not by every inner run: see tests/plugin)
import web3  # noqa: F401

import mocknode.embedded  # noqa: F401
from mocknode.chain.chain import warm_up

# py-evm too: pytester forgets the modules an inner run imported, and a later node's warm-up
# thread would import them again through pytest's assertion rewriter while the main thread
# compiles something else (CPython 3.11's parser is not safe for that: SystemError).
warm_up()

INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
asyncio_default_fixture_loop_scope = function
{extra}
"""

# What every inner suite imports: a JSON-RPC call over a real HTTP socket.
HELPERS = """
import json
import requests

BOOM = {
    "match": {"method": "eth_chainId"},
    "action": {"kind": "error", "code": -32000, "message": "boom"},
}


def call(url, method="eth_chainId", session=requests):
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": []}
    return session.post(url, json=body, timeout=5).json()


def entries(faults):
    return [
        {k: v for k, v in e.render().items() if k != "time"}
        for e in faults.journal_page(0, 1000).entries
    ]
"""


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(inner_helpers=HELPERS)
    return pytester


def test_marker_and_fixture_in_sync_asyncio_and_trio_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import pytest
        import trio
        from inner_helpers import BOOM, call

        BOOMED = {"code": -32000, "message": "boom"}

        @pytest.mark.faults(BOOM, seed=5, persona="geth")
        def test_sync(mocknode, faults):
            assert (faults.seed, faults.persona, faults.recording) == (5, "geth", True)
            assert call(mocknode.http_url)["error"] == BOOMED
            assert call(mocknode.http_url, "eth_blockNumber")["result"] == "0x0"
            [status] = faults.list()
            assert (status.id, status.fired) == (1, 1)

        @pytest.mark.asyncio
        @pytest.mark.faults(BOOM, seed=6)
        async def test_asyncio(mocknode, faults):
            assert (faults.seed, faults.persona) == (6, None)
            answer = await asyncio.to_thread(call, mocknode.http_url)
            assert answer["error"] == BOOMED

        @pytest.mark.trio
        @pytest.mark.faults(BOOM, seed=7, persona="infura")
        async def test_trio(mocknode, faults):
            assert faults is mocknode.faults  # the node's own controller, in the test's run
            assert (faults.seed, faults.persona, faults.recording) == (7, "infura", True)
            answer = await trio.to_thread.run_sync(call, mocknode.http_url)
            assert answer["error"] == BOOMED
            assert [e.kind for e in faults.journal_page().entries][:4] == [
                "connect", "request", "fault", "response"
            ]

        @pytest.mark.faults(BOOM)
        def test_marker_without_the_fixture(mocknode):
            assert call(mocknode.http_url)["error"] == BOOMED

        @pytest.mark.trio
        @pytest.mark.faults(BOOM)
        async def test_trio_marker_without_the_fixture(mocknode):
            assert (await trio.to_thread.run_sync(call, mocknode.http_url))["error"] == BOOMED
            assert not mocknode.faults.recording
        """
    )
    pytester.runpytest().assert_outcomes(passed=5)


def test_every_test_starts_from_a_fresh_fault_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from inner_helpers import BOOM, call, entries

        def test_leaves_a_mess(mocknode, faults):
            faults.add(BOOM)
            faults.set_seed(9)
            faults.persona = "alchemy"
            for _ in range(3):
                call(mocknode.http_url)

        def test_sees_none_of_it(mocknode, faults):
            assert (faults.list(), faults.seed, faults.persona) == ([], 0, None)
            assert entries(faults) == []
            assert call(mocknode.http_url)["result"] == "0x7a69"
            # connection ids and subscription ids restart, the clock too
            assert {e["connection"] for e in entries(faults)} == {1}
            assert faults.journal_page().entries[0].time < 5

        def test_adds_without_the_fixture(mocknode):
            mocknode.faults.add(BOOM)

        def test_still_clean(mocknode):
            assert not mocknode.faults.armed
            assert call(mocknode.http_url)["result"] == "0x7a69"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


def test_markers_merge_from_module_to_test_and_take_plan_files(
    pytester: pytest.Pytester,
) -> None:
    plans = pytester.mkdir("plans")
    (plans / "slow.toml").write_text(
        """
        seed = 40
        persona = "erigon"

        [[rules]]
        match = { method = "eth_gasPrice" }
        action = { kind = "error", code = -32005, message = "limit" }
        """.replace("        ", "")
    )
    pytester.makepyfile(
        """
        import pytest
        from mocknode.faults import Rule
        from inner_helpers import BOOM, call

        pytestmark = pytest.mark.faults(BOOM, seed=1)

        @pytest.mark.faults("plans/slow.toml", Rule.of("close", trigger=None), seed=2)
        def test_merged(mocknode, faults):
            kinds = [(s.id, s.rule.action.kind) for s in faults.list()]
            assert kinds == [(1, "error"), (2, "error"), (3, "close")]
            # the closest marker's seed; the plan's persona
            assert (faults.seed, faults.persona) == (2, "erigon")
            assert call(mocknode.http_url, "eth_gasPrice")["error"]["code"] == -32005

        def test_module_only(mocknode, faults):
            assert [s.rule.action.kind for s in faults.list()] == ["error"]
            assert faults.seed == 1
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_bad_markers_fail_their_test_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.faults({"action": {"kind": "refuze"}})
        def test_unknown_kind(mocknode):
            pass

        @pytest.mark.faults(seed=-1)
        def test_bad_seed(mocknode):
            pass

        @pytest.mark.faults("missing.toml")
        def test_missing_plan(mocknode):
            pass

        @pytest.mark.faults(42)
        def test_not_a_rule(mocknode):
            pass

        @pytest.mark.faults(speed=3)
        def test_unknown_keyword(mocknode):
            pass

        def test_fine(mocknode):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=5)
    result.stdout.fnmatch_lines(
        [
            line.replace("[", "[[]")
            for line in (
                "*test_unknown_kind: @pytest.mark.faults: args[0].action.kind: "
                'unknown fault kind "refuze"; did you mean "refuse"?*',
                "*test_bad_seed: @pytest.mark.faults: seed: expected an integer from 0 to *, "
                "got -1",
                "*test_missing_plan: @pytest.mark.faults: *missing.toml: cannot read it*",
                "*test_not_a_rule: @pytest.mark.faults: args[0]: expected a rule object, a Rule, "
                "a FaultPlan or a plan path, got 42",
                "*test_unknown_keyword: @pytest.mark.faults: unknown keyword(s) speed "
                "(it takes seed and persona)",
            )
        ]
    )
    assert "During handling" not in result.stdout.str()


def test_ini_plan_applies_to_every_test(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="mocknode_faults_plan = faults/plan.json"))
    pytester.mkdir("faults")
    plan = {"seed": 3, "rules": [{"match": {"method": "eth_chainId"}, "action": {"kind": "close"}}]}
    (pytester.path / "faults" / "plan.json").write_text(json.dumps(plan))
    pytester.makepyfile(
        """
        import pytest
        import requests
        from inner_helpers import BOOM, call

        def test_under_the_plan(mocknode):
            with pytest.raises(requests.ConnectionError):
                call(mocknode.http_url)

        @pytest.mark.faults(BOOM, seed=4)
        def test_marker_adds_to_it(mocknode, faults):
            assert [s.rule.action.kind for s in faults.list()] == ["close", "error"]
            assert faults.seed == 4
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_bad_ini_plan_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="mocknode_faults_plan = plan.json"))
    (pytester.path / "plan.json").write_text('{"rules": [{"action": {"kind": "http_status"}}]}')
    pytester.makepyfile("def test_never(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*mocknode faults plan: *plan.json: rules[[]0[]].action.status: required by http_status"]
    )


def test_same_seed_same_journal_under_xdist(pytester: pytest.Pytester) -> None:
    """The same test, at three places in the suite (after different noise) and on both
    xdist workers (``--dist each``): its journal, probability draws included, is the same
    every time."""
    pytester.makepyfile(
        """
        import json
        from pathlib import Path

        import pytest
        import requests
        from inner_helpers import call, entries

        FLAKY = {
            "trigger": {"probability": 0.5},
            "action": {"kind": "error", "code": -32000, "message": "flaky"},
        }

        def replay(name, url, faults, worker_id):
            # one keep-alive connection: a closed connection's "close" entry is written when
            # the node notices, which may be after the next connection's first entries
            with requests.Session() as session:
                answers = [call(url, "eth_blockNumber", session) for _ in range(12)]
                journal = entries(faults)
            out = Path(__file__).parent / "journals" / f"{name}-{worker_id}.json"
            out.write_text(json.dumps([journal, ["error" in a for a in answers]]))

        def noise(n, url, faults):
            faults.add(FLAKY)
            faults.set_seed(n)
            for _ in range(n):
                call(url)

        @pytest.mark.faults(FLAKY, seed=2024)
        def test_first(mocknode, faults, worker_id):
            replay("a", mocknode.http_url, faults, worker_id)

        def test_noise(mocknode, faults):
            noise(3, mocknode.http_url, faults)

        @pytest.mark.faults(FLAKY, seed=2024)
        def test_second(mocknode, faults, worker_id):
            replay("b", mocknode.http_url, faults, worker_id)

        def test_more_noise(mocknode, faults):
            noise(5, mocknode.http_url, faults)

        @pytest.mark.faults(FLAKY, seed=2024)
        def test_third(mocknode, faults, worker_id):
            replay("c", mocknode.http_url, faults, worker_id)
        """
    )
    journals = pytester.mkdir("journals")
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-p", "no:randomly")
    result.assert_outcomes(passed=10)
    written = sorted(path.name for path in journals.iterdir())
    assert written == [f"{c}-gw{w}.json" for c in "abc" for w in (0, 1)]
    texts = {(journals / name).read_text() for name in written}
    assert len(texts) == 1
    entries, errors = json.loads(texts.pop())
    assert 0 < sum(errors) < 12  # the seed decides some of them
    assert sum(e["kind"] == "fault" for e in entries) == sum(errors)
