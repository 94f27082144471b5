"""Lagrange elements by name: scikit-fem's Pk/Qk, and nodal Qk of any degree on intervals
and quadrilaterals.

``element = "Pk"`` is degree k on the mesh kind chosen (Pk on simplices, Qk on tensor
cells); ``element = "Qk"`` is the tensor-product element and needs a tensor mesh
(``mesh = "auto"`` picks it). scikit-fem provides P1-P4 on triangles, P1/P2 on tetrahedra,
Q1/Q2 on quadrilaterals and hexahedra, P1/P2 on intervals. Its elements of arbitrary order
on intervals and quadrilaterals (``ElementLinePp``, ``ElementQuadP``) are hierarchical:
their DOFs are not point values, so Dirichlet data would need a projection on every
boundary edge. :class:`ElementTensorGLL` is the nodal alternative used here for degrees
3-8: Lagrange polynomials on the Gauss-Lobatto-Legendre points (the spectral-element
basis, well conditioned at high degree), so interpolating g, finding boundary DOFs and the
translation-invariant tables work as for P1.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import skfem
from numpy.polynomial import legendre
from skfem.element.element_h1 import ElementH1
from skfem.refdom import RefLine, RefQuad

from ..errors import ConfigError

SCIKIT_FEM = {
    ("simplex", 1): {1: skfem.ElementLineP1, 2: skfem.ElementLineP2},
    ("simplex", 2): {1: skfem.ElementTriP1, 2: skfem.ElementTriP2, 3: skfem.ElementTriP3,
                     4: skfem.ElementTriP4},
    ("simplex", 3): {1: skfem.ElementTetP1, 2: skfem.ElementTetP2},
    ("tensor", 1): {1: skfem.ElementLineP1, 2: skfem.ElementLineP2},
    ("tensor", 2): {1: skfem.ElementQuad1, 2: skfem.ElementQuad2},
    ("tensor", 3): {1: skfem.ElementHex1, 2: skfem.ElementHex2},
}
"""scikit-fem's Lagrange elements by (mesh kind, dimension) and degree."""

GLL_DEGREES = range(3, 9)
"""Degrees of :class:`ElementTensorGLL` offered on intervals (either mesh kind) and quads."""

ELEMENTS = tuple(f"P{k}" for k in range(1, 5)) + tuple(f"Q{k}" for k in range(1, 9))
"""Element names of the ``element`` option."""

CELL_NAMES = {("simplex", 1): "intervals", ("simplex", 2): "triangles",
              ("simplex", 3): "tetrahedra", ("tensor", 1): "intervals",
              ("tensor", 2): "quadrilaterals", ("tensor", 3): "hexahedra"}


def mesh_kind(element: str, mesh: str) -> str:
    """The mesh kind for an element name and the ``mesh`` option ("auto": Q -> tensor)."""
    if mesh == "auto":
        return "tensor" if element.startswith("Q") else "simplex"
    if element.startswith("Q") and mesh == "simplex":
        raise ConfigError(f"element: {element!r} is a tensor-product element; use mesh = "
                          f"\"tensor\" or \"auto\" (or element = \"P{element[1:]}\")")
    return mesh


def available_elements(dim: int, kind: str) -> list[str]:
    """Element names that :func:`make_element` accepts on a ``kind`` mesh in ``dim``-D."""
    gll = dim == 1 or (dim, kind) == (2, "tensor")
    degrees = set(SCIKIT_FEM[kind, dim]) | (set(GLL_DEGREES) if gll else set())
    return [name for name in ELEMENTS if int(name[1:]) in degrees
            and not (name.startswith("Q") and kind == "simplex")]


def check_element(dim: int, kind: str, element: str) -> None:
    """ConfigError naming what is available unless ``element`` exists on a ``kind`` mesh in
    ``dim`` dimensions (without building it)."""
    available = available_elements(dim, kind)
    if element not in available:
        raise ConfigError(f"element: {element!r} is not available on {CELL_NAMES[kind, dim]} "
                          f"({dim}-D {kind} mesh); available there: {', '.join(available)}")


def make_element(dim: int, kind: str, element: str) -> skfem.Element:
    """The element ``element`` ("Pk"/"Qk") on a ``kind`` mesh in ``dim`` dimensions.

    Raises ConfigError naming what is available there.
    """
    check_element(dim, kind, element)
    degree = int(element[1:])
    if degree in SCIKIT_FEM[kind, dim]:
        return SCIKIT_FEM[kind, dim][degree]()
    return ElementTensorGLL(dim, degree)


@functools.lru_cache(maxsize=16)
def gll_points(k: int) -> np.ndarray:
    """The k + 1 Gauss-Lobatto-Legendre points on [0, 1]: 0, 1 and the roots of P_k'
    (computed once per degree, read-only)."""
    inner = legendre.Legendre.basis(k).deriv().roots()
    out = np.concatenate([[0.0], np.sort((inner.real + 1) / 2), [1.0]])
    out.flags.writeable = False
    return out


class ElementTensorGLL(ElementH1):
    """Nodal Q_k Lagrange element on the GLL points, on intervals (dim 1) or quadrilaterals.

    phi_(a, b)(x, y) = L_a(x) L_b(y), L_a the 1-D Lagrange polynomial of GLL point a.
    DOF order (scikit-fem's): vertices, then each facet's k - 1 points in the direction of
    increasing coordinate (:attr:`facet_directions`), then the interior points. Two
    neighbouring cells agree on that direction when all cells share one orientation (the
    structured box meshes); on any other quadrilateral mesh :func:`oriented_dofs` numbers
    each facet's DOFs along its global direction.
    """

    nodal_dofs = 1
    facet_directions = ((0, 1), (1, 2), (3, 2), (0, 3))
    """Each facet's k - 1 DOFs run from its first local vertex to its second (quadrilaterals)."""

    def __init__(self, dim: int, degree: int):
        if dim not in (1, 2) or degree < 1:
            raise ValueError("ElementTensorGLL is defined for dim 1 or 2 and degree >= 1")
        k = self.degree = degree
        self.refdom = RefLine if dim == 1 else RefQuad
        inner = list(range(1, k))
        if dim == 1:
            index = [(0,), (k,)] + [(a,) for a in inner]
            self.facet_dofs, self.interior_dofs = 0, k - 1
        else:
            index = ([(0, 0), (k, 0), (k, k), (0, k)]
                     + [(a, 0) for a in inner] + [(k, b) for b in inner]
                     + [(a, k) for a in inner] + [(0, b) for b in inner]
                     + [(a, b) for a, b in itertools.product(inner, inner)])
            self.facet_dofs, self.interior_dofs = k - 1, (k - 1) ** 2
        self.maxdeg = dim * k
        self.dofnames = ["u"] * (1 + self.facet_dofs + self.interior_dofs)
        self.index = np.array(index)
        nodes = gll_points(k)
        self.doflocs = nodes[self.index]
        # L_a as Legendre series in s = 2t - 1: the root form is well conditioned on [-1, 1]
        s = 2 * nodes - 1
        self._lagrange = []
        for a in range(k + 1):
            poly = legendre.Legendre.fromroots(np.delete(s, a))
            self._lagrange.append(poly / poly(s[a]))

    def _one_d(self, a: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        poly = self._lagrange[a]
        return poly(2 * t - 1), 2 * poly.deriv()(2 * t - 1)

    def lbasis(self, X, i):
        """phi_i and grad phi_i at reference points X (dim, m)."""
        values = [self._one_d(a, X[j]) for j, a in enumerate(self.index[i])]
        if len(values) == 1:
            return values[0][0], values[0][1][None]
        (px, dx), (py, dy) = values
        return px * py, np.array([dx * py, px * dy])


def oriented_dofs(mesh: skfem.Mesh, elem: skfem.Element) -> skfem.Dofs:
    """scikit-fem's DOF numbering of ``elem`` on ``mesh``, with the k - 1 DOFs of each facet
    taken along the facet's global direction (from its lower to its higher vertex index) in
    every cell: the cells whose local direction (``elem.facet_directions``) runs the other way
    see those DOFs in reverse order, so that neighbours agree on each DOF's position. A
    no-op on the structured meshes and for elements with at most one DOF per facet."""
    dofs = skfem.Dofs(mesh, elem)
    directions = getattr(elem, "facet_directions", None)
    if directions is None or elem.facet_dofs < 2 or mesh.dim() != 2:
        return dofs
    count, first = elem.facet_dofs, elem.nodal_dofs * mesh.t.shape[0]
    for i, (a, b) in enumerate(directions):
        rows = dofs.element_dofs[first + i * count: first + (i + 1) * count]
        flipped = mesh.t[a] > mesh.t[b]
        rows[:, flipped] = rows[::-1, flipped]
    return dofs
