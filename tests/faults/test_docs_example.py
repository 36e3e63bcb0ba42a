"""docs/faults.md's worked example, run as written: the naive indexer fails exactly as the
page says, the fixed one passes, under the same seeded plan (``pytester``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import trio  # noqa: F401  (imported once here, not by each inner run: see tests/plugin)
import web3  # noqa: F401

import mocknode.embedded  # noqa: F401
from mocknode.chain.chain import warm_up

# py-evm too: pytester forgets the modules an inner run imported, and a later node's warm-up
# thread would import them again through pytest's assertion rewriter while the main thread
# compiles something else (CPython 3.11's parser is not safe for that: SystemError).
warm_up()

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "faults.md"
TOKEN = ROOT / "fixtures" / "artifacts" / "Token.json"
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
asyncio_default_fixture_loop_scope = function
"""


def example() -> tuple[list[str], list[str]]:
    """The section's Python blocks and its text blocks, in page order."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## A worked example")
    section = text[start : text.index("\n## ", start + 1)]
    return (
        re.findall(r"```python\n(.*?)```", section, re.DOTALL),
        re.findall(r"```text\n(.*?)```", section, re.DOTALL),
    )


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    shutil.copy(TOKEN, pytester.path / "Token.json")
    return pytester


def test_the_page_shows_a_retry_loop_two_indexers_a_test_and_the_failure() -> None:
    blocks, outputs = example()
    retry, naive, test, fixed = blocks
    assert "async def with_retries" in retry
    assert "class Indexer" in naive
    assert "class Indexer" in fixed
    assert "@pytest.mark.faults(*FLAKY_PROVIDER, seed=7)" in test
    [failure] = outputs
    assert failure.startswith("E       AssertionError: missed [")


def test_the_naive_indexer_fails_as_the_page_says(suite: pytest.Pytester) -> None:
    (retry, naive, test, _), [failure] = example()
    suite.makepyfile(test_indexer="\n\n".join((retry, naive, test)))
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([failure.strip().replace("[", "[[]")])


def test_the_fixed_indexer_passes(suite: pytest.Pytester) -> None:
    retry, _, test, fixed = example()[0]
    suite.makepyfile(test_indexer="\n\n".join((retry, fixed, test)))
    suite.runpytest().assert_outcomes(passed=1)
