"""Fault plans: a seed, a persona, a journal cap and rules, in a TOML or JSON file.

The same plan drives ``mocknode --faults PLAN``, the pytest fixtures and Python. TOML::

    seed = 7
    persona = "infura"
    journal_cap = 20000

    [[rules]]
    match = { method = "eth_getLogs" }
    trigger = { probability = 0.3 }
    action = { kind = "error", template = "infura.limit_exceeded" }

    [[rules]]
    trigger = { first = 2 }
    action = { kind = "http_status", status = 429, headers = { "Retry-After" = "1" } }

JSON is the same shape (``{"seed": 7, "rules": [{...}, ...]}``), each rule exactly as
``mock_addFault`` takes it. TOML has no ``null``: leave a field out instead, and give a
window as a table (``window_blocks = { start = 10 }``) when one end is open.

Every error names the file and the rule: ``plan.toml: rules[1].action.status: expected an
integer from 200 to 599, got "x"``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from mocknode.faults.errors import FaultSpecError, join_path, show
from mocknode.faults.journal import DEFAULT_CAP
from mocknode.faults.params import Choice, Int
from mocknode.faults.personas import PERSONAS
from mocknode.faults.rules import Rule, parse_rule, render_rule
from mocknode.values import dataclass

__all__ = ["FaultPlan", "PlanError", "load_plan", "loads_plan", "parse_plan", "render_plan"]

_KEYS: Final = frozenset({"seed", "persona", "journal_cap", "rules"})


class PlanError(FaultSpecError):
    """A plan that cannot be read or accepted; ``str()`` starts with the plan's name."""

    def __init__(self, source: str, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.source = source
        self.args = (f"{source}: {path}: {reason}" if path else f"{source}: {reason}",)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """A seed, an optional persona (``geth``, ``infura``, ``alchemy``, ``erigon``), the journal
    cap and the rules in evaluation order."""

    seed: int = 0
    persona: str | None = None
    journal_cap: int = DEFAULT_CAP
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        Int(0, 2**64 - 1).parse(self.seed, "seed")
        if self.persona is not None:
            Choice(tuple(PERSONAS)).parse(self.persona, "persona")
        Int(1, 10_000_000).parse(self.journal_cap, "journal_cap")
        object.__setattr__(self, "rules", tuple(self.rules))
        for index, rule in enumerate(self.rules):
            if not isinstance(rule, Rule):
                raise FaultSpecError(f"rules[{index}]", f"expected a Rule, got {show(rule)}")


def parse_plan(data: object, source: str = "<plan>") -> FaultPlan:
    """A plan from its JSON/TOML value; errors are :class:`PlanError` naming ``source``."""
    try:
        if not isinstance(data, Mapping):
            raise FaultSpecError("", f"expected a plan object, got {show(data)}")
        for key in data:
            if key not in _KEYS:
                raise FaultSpecError(
                    str(key), f"unknown field (a plan has: {', '.join(sorted(_KEYS))})"
                )
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise FaultSpecError("rules", f"expected an array of rules, got {show(raw_rules)}")
        rules = tuple(
            parse_rule(raw, join_path("rules", f"[{index}]")) for index, raw in enumerate(raw_rules)
        )
        fields: dict[str, Any] = {"rules": rules}
        for key in ("seed", "persona", "journal_cap"):
            if data.get(key) is not None:
                fields[key] = data[key]
        return FaultPlan(**fields)
    except FaultSpecError as error:
        if isinstance(error, PlanError):
            raise
        raise PlanError(source, error.path, error.reason) from None


def loads_plan(text: str, *, format: str, source: str = "<plan>") -> FaultPlan:
    """A plan from TOML (``format="toml"``) or JSON (``format="json"``) text."""
    try:
        if format == "toml":
            data: object = tomllib.loads(text)
        elif format == "json":
            data = json.loads(text)
        else:
            raise ValueError(f"unknown plan format {format!r} (toml or json)")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise PlanError(source, "", f"not valid {format.upper()}: {error}") from None
    return parse_plan(data, source)


def load_plan(path: str | os.PathLike[str]) -> FaultPlan:
    """A plan from a ``.toml`` or ``.json`` file (chosen by the suffix)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise PlanError(str(file), "", "a fault plan is a .toml or .json file")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PlanError(str(file), "", f"cannot read it: {error}") from None
    return loads_plan(text, format=suffix[1:], source=str(file))


def render_plan(plan: FaultPlan) -> dict[str, Any]:
    """The JSON shape of ``plan`` (``parse_plan(render_plan(p)) == p``)."""
    out: dict[str, Any] = {"seed": plan.seed}
    if plan.persona is not None:
        out["persona"] = plan.persona
    if plan.journal_cap != DEFAULT_CAP:
        out["journal_cap"] = plan.journal_cap
    out["rules"] = [render_rule(rule) for rule in plan.rules]
    return out
