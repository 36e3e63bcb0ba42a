"""The fuzz and property suites' Hypothesis profiles: a short one for CI, a long one for
``scripts/fuzz``.

The profiles are registered under their own names and used as the *parent* of each
suite's ``settings(...)``, never loaded globally, so the rest of the suite keeps
Hypothesis' defaults. ``MOCKNODE_FUZZ_PROFILE=long`` (what ``scripts/fuzz`` sets) picks the
long one; ``MOCKNODE_FUZZ_SCALE`` multiplies every suite's example count on top.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "mocknode-fuzz-ci",
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "mocknode-fuzz-long",
    parent=settings.get_profile("mocknode-fuzz-ci"),
)

PROFILE = os.environ.get("MOCKNODE_FUZZ_PROFILE", "ci")
LONG = PROFILE == "long"
_SCALE = float(os.environ.get("MOCKNODE_FUZZ_SCALE", "1"))


def fuzz_settings(ci_examples: int, long_examples: int, **kwargs: object) -> settings:
    """``ci_examples`` in CI, ``long_examples`` under ``scripts/fuzz``, both scaled."""
    count = long_examples if LONG else ci_examples
    parent = settings.get_profile("mocknode-fuzz-long" if LONG else "mocknode-fuzz-ci")
    return settings(parent, max_examples=max(1, int(count * _SCALE)), **kwargs)  # type: ignore[arg-type]
