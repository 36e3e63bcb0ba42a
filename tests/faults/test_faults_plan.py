"""Plan files: TOML and JSON, the same plan either way, and errors that name file and rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mocknode.faults import (
    Action,
    FaultPlan,
    FaultSpecError,
    Match,
    PlanError,
    Rule,
    Trigger,
    load_plan,
    parse_plan,
    render_plan,
)
from mocknode.faults.plan import loads_plan

TOML_PLAN = """
seed = 7
persona = "infura"
journal_cap = 20000

[[rules]]
match = { method = "eth_getLogs" }
trigger = { probability = 0.3 }
action = { kind = "error", template = "infura.limit_exceeded" }

[[rules]]
trigger = { first = 2, window_blocks = { start = 10 } }
action = { kind = "http_status", status = 429, headers = { "Retry-After" = "1" } }
"""

EXPECTED = FaultPlan(
    seed=7,
    persona="infura",
    journal_cap=20_000,
    rules=(
        Rule(
            match=Match(method="eth_getLogs"),
            trigger=Trigger(probability=0.3),
            action=Action("error", {"template": "infura.limit_exceeded"}),
        ),
        Rule(
            trigger=Trigger(first=2, window_blocks=(10, None)),
            action=Action("http_status", {"status": 429, "headers": {"Retry-After": "1"}}),
        ),
    ),
)


def test_toml_and_json_plans_load_to_the_same_plan(tmp_path: Path) -> None:
    toml_file = tmp_path / "plan.toml"
    toml_file.write_text(TOML_PLAN)
    assert load_plan(toml_file) == EXPECTED
    json_file = tmp_path / "plan.json"
    json_file.write_text(json.dumps(render_plan(EXPECTED)))
    assert load_plan(str(json_file)) == EXPECTED


def test_render_plan_round_trips_and_leaves_defaults_out() -> None:
    assert parse_plan(render_plan(EXPECTED)) == EXPECTED
    assert render_plan(FaultPlan()) == {"seed": 0, "rules": []}
    assert parse_plan({}) == FaultPlan()


def test_errors_name_the_file_and_the_rule(tmp_path: Path) -> None:
    plan = tmp_path / "broken.toml"
    plan.write_text(
        '[[rules]]\naction = { kind = "close" }\n\n'
        '[[rules]]\naction = { kind = "http_status", status = "x" }\n'
    )
    with pytest.raises(PlanError) as caught:
        load_plan(plan)
    assert str(caught.value) == (
        f'{plan}: rules[1].action.status: expected an integer from 200 to 599, got "x"'
    )
    assert caught.value.source == str(plan)
    assert caught.value.path == "rules[1].action.status"
    assert isinstance(caught.value, FaultSpecError)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "p.json: expected a plan object, got []"),
        (
            {"sead": 1},
            "p.json: sead: unknown field (a plan has: journal_cap, persona, rules, seed)",
        ),
        ({"seed": -1}, "p.json: seed: expected an integer from 0 to 18446744073709551615, got -1"),
        (
            {"seed": 1.5},
            "p.json: seed: expected an integer from 0 to 18446744073709551615, got 1.5",
        ),
        (
            {"persona": "quicknode"},
            'p.json: persona: expected one of "geth", "infura", "alchemy", "erigon", '
            'got "quicknode"',
        ),
        ({"journal_cap": 0}, "p.json: journal_cap: expected an integer from 1 to 10000000, got 0"),
        (
            {"rules": {"action": {}}},
            "p.json: rules: expected an array of rules, got {'action': {}}",
        ),
        (
            {"rules": [5]},
            "p.json: rules[0]: expected a rule object {match, trigger, action}, got 5",
        ),
        (
            {"rules": [{"action": {"kind": "close"}}, {"match": {"transport": "ws"}}]},
            'p.json: rules[1].action: required (an object with at least "kind")',
        ),
    ],
)
def test_plan_rejections(data: object, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(data, "p.json")
    assert str(caught.value) == message


def test_unreadable_plans(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"plan\.yaml: a fault plan is a \.toml or \.json file$"):
        load_plan(tmp_path / "plan.yaml")
    with pytest.raises(PlanError, match=r"missing\.toml: cannot read it: "):
        load_plan(tmp_path / "missing.toml")
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("seed = = 1\n")
    with pytest.raises(PlanError, match=r"bad\.toml: not valid TOML: "):
        load_plan(bad_toml)
    with pytest.raises(PlanError, match=r"^<plan>: not valid JSON: "):
        loads_plan("{seed: 1}", format="json")
    with pytest.raises(ValueError, match="unknown plan format 'yaml'"):
        loads_plan("", format="yaml")


def test_plans_built_in_python_are_checked() -> None:
    with pytest.raises(FaultSpecError, match=r"^rules\[0\]: expected a Rule"):
        FaultPlan(rules=({"action": {"kind": "close"}},))  # type: ignore[arg-type]
    assert FaultPlan(rules=[Rule(action=Action("close"))]).rules == (  # type: ignore[arg-type]
        Rule(action=Action("close")),
    )
