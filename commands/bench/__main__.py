"""`python -m commands.bench`: see `commands.bench` for what it does."""

import sys

from commands.bench.cli import main

sys.exit(main())
