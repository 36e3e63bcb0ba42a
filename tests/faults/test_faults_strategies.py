"""Hypothesis strategies: every generated plan is valid, shrinks small, and transactions send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import encode
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from mocknode.faults import (
    KINDS,
    Action,
    FaultPlan,
    FaultSpecError,
    Match,
    Rule,
    Trigger,
    parse_plan,
    parse_rule,
    render_plan,
    render_rule,
)
from mocknode.faults.params import MAX_SECONDS
from mocknode.strategies import fault_plans, fault_rules, transactions

ACCOUNTS = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
]


@settings(max_examples=200, deadline=None)
@given(fault_plans(max_rules=4))
def test_every_generated_plan_parses_back_to_itself(plan: FaultPlan) -> None:
    assert len(plan.rules) <= 4
    assert parse_plan(json.loads(json.dumps(render_plan(plan)))) == plan


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_every_kind_can_be_generated(kind: str, data: st.DataObject) -> None:
    rule = data.draw(fault_rules(kinds=[kind]))
    assert rule.action.kind == kind
    assert parse_rule(render_rule(rule)) == rule


def seconds_in(rule: Rule) -> list[float]:
    values = []
    for name, value in rule.action.params.items():
        if "seconds" in name and isinstance(value, float):
            values.append(value)
        if isinstance(value, dict | type(rule.action.params)) and "uniform" in value:
            values.extend(value["uniform"])
    return values


@settings(max_examples=150, deadline=None)
@given(
    fault_rules(
        kinds=["hang", "delay_tx", "late_response", "delay", "ipc_recreate"], max_seconds=0.2
    )
)
def test_bounded_rules_never_wait_forever_nor_long(rule: Rule) -> None:
    params = rule.action.params
    if rule.action.kind == "hang":
        assert params["seconds"] is not None
    if rule.action.kind == "delay_tx":
        assert (params["blocks"] is None) != (params["seconds"] is None)
    assert all(s <= 0.2 for s in seconds_in(rule))


def test_plans_shrink_to_the_smallest_failing_plan() -> None:
    smallest = find(
        fault_plans(kinds=["delay", "error", "close"]),
        lambda plan: any(rule.action.kind == "close" for rule in plan.rules),
        settings=settings(max_examples=2000, database=None),
    )
    assert smallest == FaultPlan(
        rules=(Rule(match=Match(), trigger=Trigger(), action=Action("close")),)
    )


def test_strategy_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one"):
        fault_rules(kinds=[])
    with pytest.raises(FaultSpecError, match='unknown fault kind "nope"'):
        fault_rules(kinds=["nope"])
    with pytest.raises(ValueError, match="max_seconds"):
        fault_rules(max_seconds=0)
    with pytest.raises(ValueError, match="max_seconds"):
        fault_rules(max_seconds=MAX_SECONDS + 1)
    with pytest.raises(ValueError, match="max_rules"):
        fault_plans(max_rules=-1)
    with pytest.raises(ValueError, match="accounts must not be empty"):
        transactions([])
    with pytest.raises(ValueError, match="accounts must be 0x-prefixed"):
        transactions(["alice"])
    with pytest.raises(ValueError, match="call targets must be"):
        transactions(ACCOUNTS, calls=[("0x1", b"")])
    with pytest.raises(ValueError, match="max_value"):
        transactions(ACCOUNTS, max_value=-1)


@settings(max_examples=200, deadline=None)
@given(
    transactions(
        ACCOUNTS, max_value=1000, initcodes=[b"\x60\x00"], calls=[(ACCOUNTS[2], b"\x12\x34")]
    )
)
def test_transaction_shapes(tx: dict[str, Any]) -> None:
    assert tx["from"] in ACCOUNTS
    if "value" in tx:
        assert set(tx) == {"from", "to", "value"}
        assert tx["to"] in ACCOUNTS
        assert 0 <= tx["value"] <= 1000
    elif "to" in tx:
        assert tx == {"from": tx["from"], "to": ACCOUNTS[2], "data": "0x1234"}
    else:
        assert tx == {"from": tx["from"], "data": "0x6000"}


def test_transactions_shrink_to_a_zero_transfer_from_the_first_account() -> None:
    assert find(transactions(ACCOUNTS), lambda tx: True) == {
        "from": ACCOUNTS[0],
        "to": ACCOUNTS[0],
        "value": 0,
    }


def test_generated_transactions_are_accepted_by_web3(
    w3: Any, greeter_artifact: dict[str, Any]
) -> None:
    """The dicts go straight into ``send_transaction`` against a real node, and succeed."""
    initcode = bytes.fromhex(greeter_artifact["bytecode"][2:]) + encode(["string"], ["hi"])
    deployed = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "data": "0x" + initcode.hex()})
    )
    increment = bytes(w3.keccak(text="increment()")[:4])
    strategy = transactions(
        w3.eth.accounts[:3],
        max_value=10**15,
        initcodes=[initcode],
        calls=[(deployed.contractAddress, increment)],
    )
    seen: set[str] = set()

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(strategy)
    def send(tx: dict[str, Any]) -> None:
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
        assert receipt.status == 1
        seen.add("value" if "value" in tx else "call" if "to" in tx else "deploy")

    send()
    counter = w3.eth.contract(address=deployed.contractAddress, abi=greeter_artifact["abi"])
    assert counter.functions.counter().call() >= (1 if "call" in seen else 0)
