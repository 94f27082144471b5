"""Domains: the box, shapes, CSG combinations and mesh files behind one interface.

See :mod:`.base` for the contract. Everything a solver needs of Omega goes through it.
"""

from .base import WHOLE_BOUNDARY, BoundarySample, Domain, Part
from .boundary_data import BoundaryData, boundary_data
from .box import MAX_DIM, Box, box_only, check_dim
from .csg import Difference, Intersection, Union
from .shapes import Annulus, Ball, Polygon, lshape

__all__ = ["MAX_DIM", "WHOLE_BOUNDARY", "Annulus", "Ball", "BoundaryData", "BoundarySample", "Box",
           "boundary_data", "Difference", "box_only", "Domain",
           "Intersection", "Part", "Polygon", "Union", "check_dim", "lshape"]
