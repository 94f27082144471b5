"""Domains: the box, shapes, CSG combinations and mesh files behind one interface.

See :mod:`.base` for the contract. Everything a solver needs of Omega goes through it.
"""

from .base import WHOLE_BOUNDARY, BoundarySample, Domain, Part
from .box import Box
from .csg import Difference, Intersection, Union
from .shapes import Annulus, Ball, Polygon, lshape

__all__ = ["WHOLE_BOUNDARY", "Annulus", "Ball", "BoundarySample", "Box", "Difference", "Domain",
           "Intersection", "Part", "Polygon", "Union", "lshape"]
