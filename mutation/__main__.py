"""``python -m mutation [module ...]``: see ``mutation/README.md``."""

import sys

from .runner import main

sys.exit(main())
