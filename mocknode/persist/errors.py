"""The one error family of state files and genesis files, importable at no cost (the CLI
names it before anything is loaded)."""

from __future__ import annotations


class StateFileError(ValueError):
    """A state document (or genesis file) this mocknode cannot read, and why."""


class GenesisFileError(StateFileError):
    """A genesis file mocknode cannot use, and why (naming the file and the field)."""
