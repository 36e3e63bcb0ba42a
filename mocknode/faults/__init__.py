"""Fault injection: rules (match, trigger, action), a seeded engine, a journal, plans.

This package sits between ``node`` and ``io``/``rpc``: the node wraps accepted streams and
sessions with it; ``io`` and ``rpc`` do not know it exists. Its core is sans-io and
trio-free (import-linter holds it to that):

* :mod:`~mocknode.faults.catalogue`: every fault kind, its parameters and the incident it
  models (the reference table in ``docs/faults.md`` is generated from it);
* :mod:`~mocknode.faults.rules`: :class:`Rule`, :class:`Match`, :class:`Trigger`,
  :class:`Action`, and their JSON shape;
* :mod:`~mocknode.faults.engine`: :class:`FaultEngine`, which decides per event;
* :mod:`~mocknode.faults.journal`: :class:`Journal`, the bounded record tests assert on;
* :mod:`~mocknode.faults.personas`: geth, Infura, Alchemy and erigon error shapes and limits;
* :mod:`~mocknode.faults.plan`: :class:`FaultPlan` files (TOML or JSON).

Above the core, using trio: :mod:`~mocknode.faults.controller` (:class:`Faults`, one per
node) and :mod:`~mocknode.faults.session` (the per-connection wrapper).

The names below are imported on first use (PEP 562): every node creates a
:class:`Faults`, and importing the whole core (catalogue, engine, plan parsers: ~60 ms) on
``import mocknode`` would slow the start of every process that never injects a fault.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mocknode.faults.catalogue import CATALOGUE, KINDS, KindSpec
    from mocknode.faults.controller import FaultHandle, Faults
    from mocknode.faults.engine import Decision, FaultEngine, RuleStatus
    from mocknode.faults.errors import FaultSpecError
    from mocknode.faults.events import Event
    from mocknode.faults.journal import Journal, JournalEntry, JournalPage
    from mocknode.faults.personas import PERSONAS, TEMPLATES, ErrorTemplate, Persona
    from mocknode.faults.plan import FaultPlan, PlanError, load_plan, parse_plan, render_plan
    from mocknode.faults.rules import Action, Match, Rule, Trigger, parse_rule, render_rule

_WHERE: Final = {
    "CATALOGUE": "catalogue",
    "KINDS": "catalogue",
    "KindSpec": "catalogue",
    "FaultHandle": "controller",
    "Faults": "controller",
    "Decision": "engine",
    "FaultEngine": "engine",
    "RuleStatus": "engine",
    "FaultSpecError": "errors",
    "Event": "events",
    "Journal": "journal",
    "JournalEntry": "journal",
    "JournalPage": "journal",
    "PERSONAS": "personas",
    "TEMPLATES": "personas",
    "ErrorTemplate": "personas",
    "Persona": "personas",
    "FaultPlan": "plan",
    "PlanError": "plan",
    "load_plan": "plan",
    "parse_plan": "plan",
    "render_plan": "plan",
    "Action": "rules",
    "Match": "rules",
    "Rule": "rules",
    "Trigger": "rules",
    "parse_rule": "rules",
    "render_rule": "rules",
}

__all__ = [
    "CATALOGUE",
    "KINDS",
    "PERSONAS",
    "TEMPLATES",
    "Action",
    "Decision",
    "ErrorTemplate",
    "Event",
    "FaultEngine",
    "FaultHandle",
    "FaultPlan",
    "FaultSpecError",
    "Faults",
    "Journal",
    "JournalEntry",
    "JournalPage",
    "KindSpec",
    "Match",
    "Persona",
    "PlanError",
    "Rule",
    "RuleStatus",
    "Trigger",
    "load_plan",
    "parse_plan",
    "parse_rule",
    "render_plan",
    "render_rule",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mocknode.faults' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mocknode.faults.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
