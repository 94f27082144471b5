"""The comparison harness: case file -> validated sweep -> runs -> store -> report.

Modules, in the order data flows: :mod:`.case` (read and check a case file),
:mod:`.sweep` (expand sweeps into run specifications with stable ids),
:mod:`.execute` (one run: solve, measure errors, build the record),
:mod:`.runner` (serial, process-pool or Dask execution, skipping finished runs),
:mod:`.store` (atomic JSON records), :mod:`.slices` (solution samples for plots),
:mod:`.summary` (tables and rates),
:mod:`.plots` (figures) and :mod:`.report` (summary.csv, report.md, figures).
"""

from .case import Case, load_case
from .runner import SweepOutcome, run_sweep
from .store import Store
from .sweep import RunSpec, expand_case

__all__ = ["Case", "RunSpec", "Store", "SweepOutcome", "expand_case", "load_case", "run_sweep"]
