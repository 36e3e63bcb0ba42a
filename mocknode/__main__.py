"""``python -m mocknode`` runs the dev server."""

import sys

from mocknode.cli import main

sys.exit(main())
