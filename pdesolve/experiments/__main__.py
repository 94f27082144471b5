"""``python -m pdesolve.experiments NAME [--quick] [--out DIR]``: ``pdesolve experiment``."""

import sys

from pdesolve.cli import main

sys.exit(main(["experiment", *sys.argv[1:]]))
