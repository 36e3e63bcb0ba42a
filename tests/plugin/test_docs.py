"""The examples in docs/testing.md run, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def test_examples_in_the_testing_page_pass(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    runnable = [block for block in blocks if "def test_" in block and "...deploy" not in block]
    assert len(runnable) >= 4  # the marker examples and the three worked ones
    pytester.makepyfile(**{f"test_doc_{n}": block for n, block in enumerate(runnable)})
    # In a process of its own: under -W error, a socket some earlier test of this worker
    # left to the garbage collector would fail whichever example was running when it went.
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    tests = sum(block.count("def test_") for block in runnable)
    result.assert_outcomes(passed=tests)
