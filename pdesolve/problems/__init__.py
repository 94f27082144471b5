"""Problem interface, registry, built-in problems, and problems from case files."""

from .base import FluxCondition, Problem, unit_kappa
from .tables import check_problem, problem_from_table
from .registry import (
    ENTRY_POINT_GROUP,
    get_problem,
    list_problems,
    refresh_entry_points,
    register_problem,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "FluxCondition",
    "Problem",
    "check_problem",
    "get_problem",
    "list_problems",
    "problem_from_table",
    "refresh_entry_points",
    "register_problem",
    "unit_kappa",
]
