"""``python -m pdesolve`` is the ``pdesolve`` command."""

import sys

from .cli import main

sys.exit(main())
