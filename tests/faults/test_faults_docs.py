"""docs/faults.md cannot drift: its tables are the catalogue's, its examples parse.

To regenerate the tables after changing the catalogue or the personas, run this file with
``MOCKNODE_UPDATE_DOCS=1``; the test then rewrites the generated sections and passes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from mocknode.faults import Journal, parse_rule
from mocknode.faults.catalogue import reference_table, templates_table
from mocknode.faults.plan import loads_plan

DOC = Path(__file__).resolve().parents[2] / "docs" / "faults.md"
GENERATED = {"kinds": reference_table, "templates": templates_table}


def section(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {name} [^>]*-->\n)(.*?)(<!-- END GENERATED: {name} -->)",
        re.DOTALL,
    )


@pytest.mark.parametrize("name", GENERATED)
def test_generated_sections_match_the_catalogue(name: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    found = section(name).search(text)
    assert found is not None, f"docs/faults.md lost its {name} markers"
    wanted = GENERATED[name]()
    if os.environ.get("MOCKNODE_UPDATE_DOCS") == "1":
        text = text[: found.start(2)] + wanted + text[found.end(2) :]
        DOC.write_text(text, encoding="utf-8")
        found = section(name).search(text)
        assert found is not None
    assert found.group(2) == wanted, (
        f"docs/faults.md's {name} table is out of date: "
        "run MOCKNODE_UPDATE_DOCS=1 pytest tests/faults/test_faults_docs.py"
    )


def blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_the_examples_in_the_page_are_valid() -> None:
    rules = [b for b in blocks("json") if '"action"' in b]
    assert rules, "the page shows a rule"
    for rule in rules:
        parse_rule(json.loads(rule))
    (plan,) = blocks("toml")
    assert len(loads_plan(plan, format="toml").rules) == 2
    entry = next(b for b in blocks("json") if '"seq"' in b)
    example = Journal().record("request", time=0.0, connection=1, transport="http").render()
    assert set(json.loads(entry)) == set(example)
    namespace: dict[str, object] = {}
    for code in blocks("python"):
        exec(compile(code, str(DOC), "exec"), namespace)
    assert namespace["rule"] == namespace["same"]
