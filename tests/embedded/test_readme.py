"""The README's Python examples that start a node run as written, each in a fresh process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_embedded_examples_in_the_readme_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    examples = [block for block in blocks if "from mocknode import" in block]
    assert len(examples) == 2  # MockNode, open_mocknode
    for example in examples:
        proc = subprocess.run(
            [sys.executable, "-c", example],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, example + proc.stderr
