"""``python -m pdesolve.experiments NAME [--quick] [--out DIR]``."""

import sys

from pdesolve.experiments import main

sys.exit(main())
