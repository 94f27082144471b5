"""pdesolve: elliptic PDEs by FEM, NGSolve, spectral methods, sparse grids, grids, Jacobi, PINNs,
Deep Ritz, random features and MscaleDNN, compared honestly."""

from importlib.metadata import PackageNotFoundError, version

from .domains import Box
from .errors import ConfigError, PdesolveError
from .metrics import ErrorMeasurement, measure_errors
from .problems import Problem, get_problem, list_problems, register_problem
from .result import Result, Status
from .solvers import list_solvers, solve

try:
    __version__ = version("pdesolve")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "Box",
    "ConfigError",
    "ErrorMeasurement",
    "PdesolveError",
    "Problem",
    "Result",
    "Status",
    "__version__",
    "get_problem",
    "list_problems",
    "list_solvers",
    "measure_errors",
    "register_problem",
    "solve",
]
