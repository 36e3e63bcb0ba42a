"""``python -m mocknode`` runs the dev server."""

from mocknode.command import run

run()
