"""`python -m local up|down|serve|logs`: see local.cli."""

import sys

from local.cli import main

sys.exit(main())
