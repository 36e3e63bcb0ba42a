"""What the plugin tests share: the inner suites' ini file."""

from __future__ import annotations

# Every inner suite gets this (``extra``: more ini lines). The fixture loop scope is set so
# pytest-asyncio does not warn in the inner runs; --strict-markers, as users should run, so
# every inner run checks that the plugin registers its marker.
INI = """
[pytest]
addopts = --strict-markers
asyncio_default_fixture_loop_scope = function
{extra}
"""
