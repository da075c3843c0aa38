"""`python -m local up|down|serve|logs`: see local.stack."""

import sys

from local.stack import main

sys.exit(main())
