"""Problem interface, registry and built-in problems."""

from .base import Problem, unit_kappa
from .registry import (
    ENTRY_POINT_GROUP,
    get_problem,
    list_problems,
    refresh_entry_points,
    register_problem,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Problem",
    "get_problem",
    "list_problems",
    "refresh_entry_points",
    "register_problem",
    "unit_kappa",
]
