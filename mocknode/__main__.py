"""``python -m mocknode`` runs the dev server."""

from mocknode.cli import run

run()
