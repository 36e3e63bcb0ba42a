"""Benchmarks of mocknode against anvil and eth-tester: ``scripts/bench`` runs ``python -m bench``.

Not part of the installed ``mocknode`` package. Kept import-light on purpose: worker
processes (``bench.load``) and start-up probes (``bench.startup``) import it.
"""
