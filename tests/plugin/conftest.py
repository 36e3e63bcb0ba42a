"""Tests of the pytest plugin: each writes a small suite and runs pytest on it (``pytester``).

Most inner runs are in-process (``runpytest``): the plugin is loaded from its entry point
into a fresh ``Config`` each time. pytester drops the modules an inner run imported when it
ends, so the heavy ones (py-evm, web3, trio) are imported here, once, to keep each run to
milliseconds. Only what needs a fresh interpreter runs as a subprocess: the entry-point
check and xdist.
"""

from __future__ import annotations

import pytest
import trio  # noqa: F401  (imported once for every inner run, see above)
import web3  # noqa: F401
from plugin_helpers import INI

import mocknode.embedded  # noqa: F401


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester with an ini file: no pytest-asyncio warning, and room for more lines."""
    pytester.makeini(INI.format(extra=""))
    return pytester
