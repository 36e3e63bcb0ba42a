"""``scripts/fidelity`` kept working: its session runs against mocknode alone (anvil is
not installed in CI), every call gets a JSON-RPC answer, and the differ reports what it
must. The comparison with anvil itself is ``scripts/fidelity`` (docs/eth-namespace.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.fidelity import SHORT, STEPS, Step, compare, diff, encoding, explain, main


def test_the_short_session_runs_against_mocknode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "answers.json"
    assert main(["--mocknode-only", "--short", "--json", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"mocknode: {len(SHORT)} calls, 0 without an answer"
    answers = json.loads(out.read_text())["mocknode"]
    assert list(answers) == [step.name for step in STEPS if step.name in SHORT]
    # Calls that depend on earlier answers got theirs: the deploy, the event, the revert.
    assert answers["deployReceipt"]["result"]["status"] == "0x1"
    assert answers["eventReceipt"]["result"]["logs"][0]["topics"][0] == (
        "0xea07f7ca8b8b2cfaab1214b6e1459ad859cf1ff2d60a948a1f9c4644970c8950"
    )
    assert answers["revertString"]["error"]["message"] == (
        "execution reverted: Greeter: always fails"
    )
    assert answers["revertedReceipt"]["result"]["status"] == "0x0"
    assert answers["txpoolStatus"]["result"] == {"pending": "0x1", "queued": "0x1"}
    assert answers["balanceSet"]["result"] == "0x3e8"
    assert list(answers["signTransaction"]["result"]) == ["raw", "tx"]
    assert answers["badAddress"]["error"] == {
        "code": -32602,
        "message": "invalid argument 0: hex string has length 2, want 40 for common.Address",
    }
    # The eth methods added since: overrides, access lists, simulation, tracing.
    assert answers["callStateOverride"]["result"] == "0x" + "00" * 31 + "07"
    assert list(answers["accessList"]["result"]) == ["accessList", "gasUsed"]
    assert answers["simulate"]["result"][0]["calls"][0]["status"] == "0x1"
    assert answers["traceTxCall"]["result"]["type"] == "CALL"
    assert answers["traceCallOverride"]["result"]["output"] == "0x" + "00" * 31 + "2a"
    assert answers["badOverrideBalance"]["error"] == {
        "code": -32602,
        "message": "invalid argument 2: json: cannot unmarshal non-string into Go struct "
        "field OverrideAccount.balance of type *hexutil.Big",
    }
    assert answers["unknownMethod"]["error"] == {
        "code": -32601,
        "message": "the method eth_doesNotExist does not exist/is not available",
    }


def test_encodings() -> None:
    assert [
        encoding(v) for v in ("0x0", "0x1a3", "0x", "0x00", "0x" + "ab" * 20, "0x" + "ab" * 32)
    ] == [
        "quantity",
        "quantity",
        "data",
        "data",
        "data20",
        "data32",
    ]
    assert [encoding(v) for v in (None, True, 1, 0.5, [], {}, "latest", "0x01")] == [
        "null",
        "bool",
        "number",
        "number",
        "array",
        "object",
        "string",
        "data",
    ]


def test_diff_reports_keys_order_encodings_and_values() -> None:
    mine = {"b": "0x1", "a": 1, "hash": "0x" + "11" * 32, "only": None, "x": ["0x10"]}
    theirs = {"a": "0x1", "b": "0x2", "hash": "0x" + "22" * 32, "extra": 0, "x": []}
    assert list(diff("result", mine, theirs)) == [
        "result: keys only anvil has: extra",
        "result: keys only mocknode has: only",
        "result: key order ['b', 'a', 'hash', 'x'] vs ['a', 'b', 'hash', 'x']",
        'result.b: value "0x1" vs "0x2"',
        'result.a: encoding number vs quantity (1 vs "0x1")',
        "result.x: 1 items vs 0",
    ]


def test_compare_reports_error_codes_and_messages() -> None:
    step = Step("s", "eth_x", [])
    ours = {"error": {"code": -32000, "message": "nonce too low: next nonce 2, tx nonce 0"}}
    assert compare(step, ours, {"error": {"code": -32003, "message": "nonce too low"}}) == [
        "s eth_x: error code -32000 vs -32003",
        's eth_x: error message "nonce too low: next nonce 2, tx nonce 0" vs "nonce too low"',
    ]
    assert compare(step, ours, {"result": "0x1"}) == [
        's eth_x: error {"code": -32000, "message": "nonce too low: next nonce 2, tx nonce 0"} '
        'vs result "0x1"'
    ]
    assert compare(step, {"result": "0x1"}, {"result": "0x1"}) == []


def test_every_difference_is_matched_to_its_reason_or_reported() -> None:
    assert explain("tx eth_getTransactionByHash: result: keys only anvil has: blockTimestamp")
    assert (
        explain("traceCall debug_traceCall: result.structLogs[3]: keys only anvil has: refund")
        == "geth omits a zero refund"
    )
    assert explain('traceTxCall debug_traceTransaction: result.gas: value "0x7441" vs "0x1eec"')
    # A new key, an error where anvil answers, a value of a step with no reason: unexplained.
    assert explain("tx eth_getTransactionByHash: result: keys only anvil has: somethingNew") is None
    assert explain('call eth_call: error {"code": -32000} vs result "0x"') is None
    assert explain('call eth_call: result: value "0x1" vs "0x2"') is None
