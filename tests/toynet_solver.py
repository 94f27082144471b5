"""The toy solver of :mod:`tests.test_harness_solvers` declared neural (kind 'toynet')."""

from tests.test_harness_solvers import Options, solve, supports  # noqa: F401

FAMILY = "neural"
DOFS = "toy parameters"
