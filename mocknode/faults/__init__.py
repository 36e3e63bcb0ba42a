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
"""

from __future__ import annotations

from mocknode.faults.catalogue import CATALOGUE, KINDS, KindSpec
from mocknode.faults.engine import Decision, FaultEngine, RuleStatus
from mocknode.faults.errors import FaultSpecError
from mocknode.faults.events import Event
from mocknode.faults.journal import Journal, JournalEntry, JournalPage
from mocknode.faults.personas import PERSONAS, TEMPLATES, ErrorTemplate, Persona
from mocknode.faults.plan import FaultPlan, PlanError, load_plan, parse_plan, render_plan
from mocknode.faults.rules import Action, Match, Rule, Trigger, parse_rule, render_rule

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
    "FaultPlan",
    "FaultSpecError",
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
